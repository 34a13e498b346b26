"""The durable inbox: kept before the platform's 200, answered once, in order, by any worker.

Every test runs on a SQLite file and on PostgreSQL, with the real dispatcher and a tiny echo
dialog that counts the conversation's turns (so a turn run twice shows).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession
from support.clock import ManualClock
from support.interleave import first_after_the_read

from bot.dispatcher import Dispatcher, TurnHook
from bot.inbox import BUSY_PAUSE, MAX_ATTEMPTS, DurableInbox, Turn
from bot.locks import LockTimeout
from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.inbox import SqlInbox
from dialogs.messages import ConversationRef, IncomingMessage, Reply
from dialogs.ports import Progress
from dialogs.step import DialogDeps, Step
from integrations.progress import UNRECORDED, send_unsent
from storage.test_dispatcher import echo, make_deps

REF = ConversationRef("telegram", "424242")
LEASE = timedelta(seconds=10)


def said(message_id: str, text: str | None = None) -> IncomingMessage:
    return IncomingMessage(REF, text=text or message_id, message_id=message_id)


class Sent:
    """The channel's side: the replies the inbox asked it to send, as texts."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    async def __call__(
        self, message: IncomingMessage, replies: Sequence[Reply], progress: Progress = UNRECORDED
    ) -> None:
        async def send(reply: Reply) -> None:  # one platform message a reply
            self.texts.append(reply.text)

        await send_unsent(replies, progress, send)


def worker(
    database: Database, clock: ManualClock, sent: Sent | None = None, restart_pause: float = 1.0
) -> DurableInbox:
    inbox = DurableInbox(
        database,
        Dispatcher(database, make_deps(clock), dialog=echo).handle,
        clock,
        lease=LEASE,
        poll_interval=0.05,
        restart_pause=restart_pause,
    )
    if sent is not None:
        inbox.subscribe(REF.channel, sent)
    return inbox


def running(
    database: Database, turn: Turn, clock: ManualClock, sent: Sent, lease: timedelta = LEASE
) -> DurableInbox:
    """An inbox that runs a test's own turn, its replies told to ``sent``."""
    inbox = DurableInbox(database, turn, clock, lease=lease, poll_interval=0.05)
    inbox.subscribe(REF.channel, sent)
    return inbox


async def turns(database: Database) -> int:
    async with database.transaction() as session:
        stored = await SqlConversations(session).load(REF)
    return 0 if stored is None else int(stored.state["count"])


async def test_a_message_delivered_again_is_answered_once(
    database: Database, clock: ManualClock
) -> None:
    sent = Sent()
    async with worker(database, clock, sent) as inbox:
        assert await inbox.accept(said("u1", "xin chao"))
        assert not await inbox.accept(said("u1", "xin chao"))  # before it is answered
        await inbox.join()
        assert not await inbox.accept(said("u1", "xin chao"))  # and after
        await inbox.join()
    assert sent.texts == ["1: xin chao"]
    assert await turns(database) == 1


async def test_messages_kept_before_a_crash_are_answered_in_order_after_the_restart(
    database: Database, clock: ManualClock
) -> None:
    crashed = worker(database, clock)  # accepted, then died before its loop took anything
    for n in range(5):
        assert await crashed.accept(said(f"u{n}"))
    sent = Sent()
    async with worker(database, clock, sent) as restarted:
        await restarted.join()
    assert sent.texts == [f"{n + 1}: u{n}" for n in range(5)]


async def test_a_dead_workers_claim_runs_out_and_the_message_is_answered_once(
    database: Database, clock: ManualClock
) -> None:
    dead = worker(database, clock)
    await dead.accept(said("u1"))
    await dead.accept(said("u2"))
    # What a worker killed between taking a message and processing it leaves behind.
    async with database.transaction() as session:
        assert len(await SqlInbox(session).claim("dead-worker", clock.now(), LEASE, 10)) == 1
    sent = Sent()
    async with worker(database, clock, sent) as alive:
        await alive.join()
        assert sent.texts == []  # the claim still holds, and u2 waits behind u1
        clock.advance(LEASE + timedelta(seconds=1))
        await alive.join()
    assert sent.texts == ["1: u1", "2: u2"]
    assert await turns(database) == 2


async def test_replies_sent_by_a_worker_killed_before_its_done_mark_are_sent_once_more_in_order(
    database: Database, clock: ManualClock
) -> None:
    """The window the README admits (Reliability): nothing tells the next worker that the
    dead one's send went through, so the replies come once more, still before the next
    message's, and the turn does not run again."""
    dead = worker(database, clock)
    await dead.accept(said("u1"))
    await dead.accept(said("u2"))
    sent = Sent()
    # What a worker killed after the platform accepted u1's replies leaves behind: the turn
    # committed with its row answered, the replies delivered, the done mark never written.
    async with database.transaction() as session:
        (entry,) = await SqlInbox(session).claim("dead-worker", clock.now(), LEASE, 10)

    async def mark(session: AsyncSession, replies: Sequence[Reply]) -> None:
        await SqlInbox(session).answered(entry.id, "dead-worker", replies, clock.now())

    turn = Dispatcher(database, make_deps(clock), dialog=echo).handle
    await sent(entry.message, await turn(entry.message, mark))
    async with worker(database, clock, sent) as alive:
        await alive.join()
        assert sent.texts == ["1: u1"]  # the claim still holds, and u2 waits behind u1
        clock.advance(LEASE + timedelta(seconds=1))
        await alive.join()
    assert sent.texts == ["1: u1", "1: u1", "2: u2"]
    assert await turns(database) == 2


def in_two(state: Mapping[str, Any], message: IncomingMessage, deps: DialogDeps) -> Step:
    """``echo``'s answer as two replies, each a platform message of its own."""
    step = echo(state, message, deps)
    (reply,) = step.replies
    halves = (Reply(f"{reply.text} (1/2)"), Reply(f"{reply.text} (2/2)"))
    return dataclasses.replace(step, replies=halves)


async def test_a_worker_stopped_in_the_middle_of_a_reply_leaves_only_the_rest_to_send(
    database: Database, clock: ManualClock
) -> None:
    """The platform accepted the first of a reply's two messages, then the worker stopped
    (killed, or failing) before the second: the acceptance was recorded before the second was
    sent, so the worker that takes the row over when the claim runs out sends the second alone,
    and the turn does not run again."""
    sent = Sent()
    stops = [RuntimeError("worker stopped while sending")]

    async def send(message: IncomingMessage, replies: Sequence[Reply], progress: Progress) -> None:
        async def one(reply: Reply) -> None:
            if sent.texts and stops:
                raise stops.pop()
            sent.texts.append(reply.text)

        await send_unsent(replies, progress, one)

    turn = Dispatcher(database, make_deps(clock), dialog=in_two).handle
    async with DurableInbox(database, turn, clock, lease=LEASE, poll_interval=0.05) as inbox:
        inbox.subscribe(REF.channel, send)
        await inbox.accept(said("u1"))
        await inbox.join()
        assert sent.texts == ["1: u1 (1/2)"]
        clock.advance(LEASE + timedelta(seconds=1))
        await inbox.join()
    assert sent.texts == ["1: u1 (1/2)", "1: u1 (2/2)"]
    assert await turns(database) == 1


async def test_two_workers_claiming_at_once_never_both_take_a_message(
    database: Database, database_url: str, clock: ManualClock
) -> None:
    """Two worker processes on one database (two engines): the other one claims while this
    one's claim sits between reading the free rows and marking them taken. Each message goes
    to one of them. (On SQLite the rows were read outside the claim's transaction, and both
    claims took them all: their UPDATE takes the rows read by id.)"""
    messages = [
        (
            IncomingMessage(ConversationRef("telegram", str(n)), text="hi", message_id=f"m{n}"),
            f"m{n}",
            f"r{n}",
            None,
        )
        for n in range(4)
    ]
    async with database.transaction() as session:
        await SqlInbox(session).add_all(messages, clock.now())

    async with Database(database_url) as other:

        async def other_claim() -> list[int]:
            async with other.transaction() as session:
                taken = await SqlInbox(session).claim("other", clock.now(), LEASE, 4)
            return [entry.id for entry in taken]

        with first_after_the_read(database, "SELECT inbox.id", other_claim) as claims:
            async with database.transaction() as session:
                mine = [e.id for e in await SqlInbox(session).claim("mine", clock.now(), LEASE, 4)]
        (theirs,) = await asyncio.gather(*claims)
    assert claims, "the claim read the inbox"
    assert len(mine) + len(theirs) == len(messages)
    assert set(mine).isdisjoint(theirs)


async def test_a_turn_that_did_not_commit_leaves_no_mark_and_is_run_again(
    database: Database, clock: ManualClock
) -> None:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    failures = [ConnectionError("the database went away before the commit")]

    async def turn(message: IncomingMessage, hook: TurnHook) -> Sequence[Reply]:
        async def then_fail(session: AsyncSession, replies: Sequence[Reply]) -> None:
            await hook(session, replies)  # the inbox's mark is written ...
            if failures:
                raise failures.pop()  # ... and rolled back with the turn

        return await dispatcher.handle(message, then_fail)

    sent = Sent()
    inbox = running(database, turn, clock, sent)
    async with inbox:
        await inbox.accept(said("u1"))
        await inbox.join()
        assert (sent.texts, await turns(database)) == ([], 0)
        assert not await inbox.accept(said("u1"))  # a redelivery does not start a second copy
        clock.advance(LEASE + timedelta(seconds=1))
        await inbox.join()
    assert sent.texts == ["1: u1"]
    assert await turns(database) == 1


async def test_replies_not_sent_before_a_crash_are_sent_without_a_second_turn(
    database: Database, clock: ManualClock
) -> None:
    sent = Sent()
    crashes = [RuntimeError("worker stopped while sending")]

    async def send(message: IncomingMessage, replies: Sequence[Reply], progress: Progress) -> None:
        if crashes:
            raise crashes.pop()
        await sent(message, replies, progress)

    async with worker(database, clock) as inbox:
        inbox.subscribe(REF.channel, send)
        await inbox.accept(said("u1"))
        await inbox.join()
        clock.advance(LEASE + timedelta(seconds=1))
        await inbox.join()
    assert sent.texts == ["1: u1"]
    assert await turns(database) == 1


async def test_two_workers_keep_one_conversations_order(
    database: Database, clock: ManualClock
) -> None:
    sent = Sent()
    async with worker(database, clock, sent) as first, worker(database, clock, sent) as second:
        for n in range(12):
            await (first, second)[n % 2].accept(said(f"u{n}"))
        async with asyncio.timeout(10):  # either may take the last one: wait for the turns
            while await turns(database) < 12:  # noqa: ASYNC110 (the turns are in the database)
                await asyncio.sleep(0.02)
        await first.join()
        await second.join()
    assert sent.texts == [f"{n + 1}: u{n}" for n in range(12)]


async def test_answer_waits_for_the_replies_and_a_retry_gets_the_same_ones(
    database: Database, clock: ManualClock
) -> None:
    async with worker(database, clock) as inbox:
        first = await inbox.answer(said("w1", "hello"), patience=5)
        again = await inbox.answer(said("w1", "hello"), patience=5)
    assert first is not None and [r.text for r in first] == ["1: hello"]
    assert again == first
    assert await turns(database) == 1


async def test_answer_stops_waiting_but_the_message_is_kept(
    database: Database, clock: ManualClock
) -> None:
    sent = Sent()
    idle = worker(database, clock, sent)  # its loop is not running yet
    assert await idle.answer(said("w1", "hello"), patience=0.1) is None
    async with idle:
        await idle.join()
    assert sent.texts == ["1: hello"]


async def test_a_message_answered_on_the_page_waits_a_moment_for_its_own_worker_only(
    database: Database, clock: ManualClock
) -> None:
    sent = Sent()
    busy = worker(database, clock, sent)  # holds the request, its loop not taking anything
    assert await busy.answer(said("w1", "hello"), patience=0.1) is None
    async with worker(database, clock, sent) as other:
        await other.join()
        assert sent.texts == []  # reserved for the worker the request waits on
        clock.advance(timedelta(seconds=1))  # longer than the reservation (its poll interval)
        await other.join()
    assert sent.texts == ["1: hello"]


class StrayCancellation(Database):
    """A database on which the inbox loop's next unit of work ends in a ``CancelledError``
    nobody asked for, as a driver or a pool can leak one (armed with ``armed = True``)."""

    armed = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        task = asyncio.current_task()
        if self.armed and task is not None and task.get_name() == "inbox":
            self.armed = False
            raise asyncio.CancelledError
        async with super().transaction() as session:
            yield session


async def test_an_inbox_loop_that_dies_is_logged_and_started_again(
    database_url: str, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    sent = Sent()
    async with StrayCancellation(database_url) as flaky:
        flaky.armed = True  # the loop's first look at the table would be its last
        async with worker(flaky, clock, sent, restart_pause=0.01) as inbox:
            assert await inbox.accept(said("u1", "xin chao"))
            await inbox.join()
    assert sent.texts == ["1: xin chao"]
    [death] = [r for r in caplog.records if r.getMessage().startswith("inbox loop stopped")]
    assert death.levelno == logging.ERROR and death.exc_info is not None


class HeldUnitOfWork(Database):
    """A database on which the inbox loop's next unit of work, once inside, waits for
    ``release``, and notes whether a cancellation reached it there."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        self.cancelled = False

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with super().transaction() as session:
            task = asyncio.current_task()
            if task is not None and task.get_name() == "inbox" and not self.release.is_set():
                self.inside.set()
                try:
                    await self.release.wait()
                except asyncio.CancelledError:
                    self.cancelled = True
                    raise
            yield session


async def test_leaving_the_inbox_lets_its_loop_finish_the_unit_of_work_in_hand(
    database_url: str, clock: ManualClock
) -> None:
    """A cancellation landing in a unit of work on SQLite could leave the task waiting forever
    on aiosqlite (the suite's intermittent idle hang): the loop is stopped, not cancelled."""
    async with HeldUnitOfWork(database_url) as held:
        inbox = worker(held, clock)
        await inbox.__aenter__()
        await held.inside.wait()  # the loop is looking for rows
        leaving = asyncio.create_task(inbox.__aexit__(None, None, None))
        await asyncio.sleep(0.05)
        assert not leaving.done()  # waiting for the look to end
        held.release.set()
        await leaving
    assert not held.cancelled


@pytest.mark.parametrize(
    "failure",
    [
        # Another worker holds the conversation past the lock's wait.
        LockTimeout("conversation lock not acquired in time"),
        # Under load every pooled connection stays busy past the pool's wait.
        PoolTimeout("QueuePool limit reached, connection timed out"),
    ],
    ids=["conversation busy", "no database connection"],
)
async def test_a_message_failing_for_want_of_a_lock_or_a_connection_is_never_given_up(
    database: Database, clock: ManualClock, failure: Exception
) -> None:
    """Neither is the message's own fault: however often its turn fails for it, the message
    is tried again and answered once, never given up after ``MAX_ATTEMPTS``."""
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    failures = [failure] * (MAX_ATTEMPTS + 2)

    async def turn(message: IncomingMessage, hook: TurnHook) -> Sequence[Reply]:
        if failures:
            raise failures.pop()
        return await dispatcher.handle(message, hook)

    sent = Sent()
    inbox = running(database, turn, clock, sent)
    async with inbox:
        await inbox.accept(said("u1"))
        for _ in range(MAX_ATTEMPTS + 2):
            await inbox.join()
            clock.advance(BUSY_PAUSE + timedelta(seconds=1))  # far shorter than the lease
        await inbox.join()
    assert sent.texts == ["1: u1"]
    assert await turns(database) == 1


async def test_a_lease_renewal_the_database_refused_is_tried_again_within_a_pause(
    database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Waiting a whole renewal period after a refused renewal let an outage of just over a
    third of the lease end the claim, and another worker send the replies again."""
    lease = timedelta(seconds=6)  # renewed every 2 s
    tries: list[float] = []
    renewed = asyncio.Event()
    renew = SqlInbox.renew

    async def refused_once(
        inbox: SqlInbox, entry_ids: Sequence[int], owner: str, until: datetime
    ) -> int:
        tries.append(time.monotonic())
        if len(tries) == 1:
            raise ConnectionError("the database is restarting")
        renewed.set()
        return await renew(inbox, entry_ids, owner, until)

    monkeypatch.setattr(SqlInbox, "renew", refused_once)
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)

    async def slow_turn(message: IncomingMessage, hook: TurnHook) -> Sequence[Reply]:
        await asyncio.wait_for(renewed.wait(), 10)  # the platform keeps the turn waiting
        return await dispatcher.handle(message, hook)

    sent = Sent()
    inbox = running(database, slow_turn, clock, sent, lease)
    async with inbox:
        await inbox.accept(said("u1"))
        await inbox.join()
    assert tries[1] - tries[0] < 1.25  # FINISH_PAUSE (0.5 s), not the 2 s period
    assert sent.texts == ["1: u1"]


async def test_a_burst_handed_over_at_once_is_kept_with_few_commits_each_once(
    database: Database, clock: ManualClock
) -> None:
    commits: list[object] = []
    event.listen(database.engine.sync_engine, "commit", commits.append)
    inbox = worker(database, clock)
    burst = [said(f"u{n}") for n in range(40)] + [said("u7"), said("u7")]
    kept = await asyncio.gather(*(inbox.accept(message) for message in burst))
    assert kept.count(True) == 40  # u7 handed over three times: kept once
    assert kept[7] and not kept[40] and not kept[41]
    assert len(commits) < 10
    sent = Sent()
    async with worker(database, clock, sent) as second:
        await second.join()
    assert sent.texts == [f"{n + 1}: u{n}" for n in range(40)]
