"""Notices rendered in batches: a burst costs the same statements whatever its size, each
citizen is told once, a second notice to the same app keeps its order, and a notice that cannot
be rendered holds back only itself.

Every test runs on a SQLite file and on PostgreSQL with the real outbox worker, dispatcher and
tables; only the dialog is the storage tests' echo.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import pytest
from support.clock import ManualClock
from support.statements import counted

from bot.dispatcher import Dispatcher
from bot.reminders import RECORD_EVERY, ReminderWorker
from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.identity import SqlIdentities
from bot.storage.reminders import ReminderStatus, SqlReminders
from bot.storage.tables import USER_ID_LEN
from dialogs.messages import ConversationRef, Reply
from storage.test_dispatcher import echo, make_deps
from storage.test_reminders import RecordingChannel


def citizen(n: int) -> ConversationRef:
    return ConversationRef("telegram", f"citizen-{n}")


async def queue(database: Database, clock: ManualClock, refs: Sequence[ConversationRef]) -> None:
    """A status notice due now for each of ``refs``, in order."""
    async with database.transaction() as session:
        notices = [(ref, "fd:st", {"n": n}) for n, ref in enumerate(refs)]
        await SqlReminders(session).schedule_notices(notices, clock.now())


def outbox(database: Database, clock: ManualClock, channel: RecordingChannel) -> ReminderWorker:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    return ReminderWorker(database, dispatcher, {"telegram": channel}, clock, batch=100)


async def test_a_burst_of_notices_costs_the_same_statements_whatever_its_size(
    database: Database, clock: ManualClock
) -> None:
    runs = []
    for refs in ([citizen(n) for n in range(3)], [citizen(n) for n in range(100, 140)]):
        await queue(database, clock, refs)
        channel = RecordingChannel()
        with counted(database) as executed:
            assert await outbox(database, clock, channel).run_once() == len(refs)
        assert sorted(ref.user_id for ref, _ in channel.sent) == sorted(r.user_id for r in refs)
        assert {replies[0].text for _, replies in channel.sent} == {"1: fd:st"}
        runs.append(executed)
    # The same statements whatever the size of the burst, but for one mark done a chunk.
    marks = "UPDATE reminders SET status="
    (small, small_marks), (large, large_marks) = (
        ([s[:40] for s in run if not s.startswith(marks)], sum(s.startswith(marks) for s in run))
        for run in runs
    )
    assert large == small
    assert (small_marks, large_marks) == (1, -(-40 // RECORD_EVERY))
    # The person each app is linked to is read by the statement opening the conversations.
    assert not [s for s in small if s.startswith("SELECT identity_links")]
    async with database.transaction() as session:
        stored = await SqlConversations(session).load(citizen(139))
    assert stored is not None and stored.state["count"] == 1


async def test_two_notices_to_one_app_keep_their_order_beside_a_batch(
    database: Database, clock: ManualClock
) -> None:
    await queue(database, clock, [citizen(0), citizen(1), citizen(0), citizen(2)])
    channel = RecordingChannel()
    assert await outbox(database, clock, channel).run_once() == 4
    told = [(ref.user_id, replies[0].text) for ref, replies in channel.sent]
    assert [text for user, text in told if user == "citizen-0"] == ["1: fd:st", "2: fd:st"]
    assert sorted(told) == [
        ("citizen-0", "1: fd:st"),
        ("citizen-0", "2: fd:st"),
        ("citizen-1", "1: fd:st"),
        ("citizen-2", "1: fd:st"),
    ]


async def test_a_notice_that_cannot_be_rendered_holds_back_only_itself(
    database: Database, clock: ManualClock
) -> None:
    if database.dialect == "postgresql":
        pytest.skip("PostgreSQL refuses such a notice when it is queued; SQLite keeps it")
    unfit = ConversationRef("telegram", "x" * (USER_ID_LEN + 1))
    refs = [citizen(0), unfit, citizen(1), citizen(2)]
    await queue(database, clock, refs)
    channel = RecordingChannel()
    assert await outbox(database, clock, channel).run_once() == 3
    assert sorted(ref.user_id for ref, _ in channel.sent) == ["citizen-0", "citizen-1", "citizen-2"]
    async with database.transaction() as session:
        (held,) = await SqlReminders(session).for_conversation(unfit)
    assert held.status is ReminderStatus.PENDING  # tried again later, then given up
    assert held.replies is None


async def test_a_burst_goes_out_in_rounds_of_a_hundred_at_least_each_citizen_told_once(
    database: Database, clock: ManualClock
) -> None:
    refs = [citizen(n) for n in range(250)]
    await queue(database, clock, refs)
    channel = RecordingChannel()
    worker = ReminderWorker(
        database, Dispatcher(database, make_deps(clock), dialog=echo), {"telegram": channel}, clock
    )
    with counted(database) as executed:
        assert await worker.run_once() == len(refs)
    rounds = [s for s in executed if s.startswith("UPDATE reminders SET replies=")]
    # Each round keeps its rendered replies with one statement: three rounds of at most a
    # hundred, not thirteen of twenty.
    assert len(rounds) == 3
    assert sorted(ref.user_id for ref, _ in channel.sent) == sorted(r.user_id for r in refs)


async def test_two_linked_apps_are_told_once_each_beside_a_burst(
    database: Database, clock: ManualClock
) -> None:
    first, second = citizen(0), citizen(1)
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.ensure_person(first, clock.now())
        await identities.redeem_code(
            await identities.issue_code(person, clock.now()), second, clock.now()
        )
    refs = [first, *[citizen(n) for n in range(2, 60)], second]
    await queue(database, clock, refs)
    channel = RecordingChannel()
    worker = outbox(database, clock, channel)
    assert await worker.run_once() == len(refs)
    assert await worker.run_once() == 0
    assert sorted(ref.user_id for ref, _ in channel.sent) == sorted(r.user_id for r in refs)
    told = {ref.user_id: replies[0].text for ref, replies in channel.sent}
    # The linked apps share the person's conversation: its two turns, one on each app.
    assert sorted([told[first.user_id], told[second.user_id]]) == ["1: fd:st", "2: fd:st"]


class DyingChannel(RecordingChannel):
    """Sends as the platform would, and kills the worker's round (its task cancelled, as a
    SIGKILL leaves it: nothing after the send runs) once ``after`` notices are sent."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after
        self.round: asyncio.Task[int] | None = None

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        await super().send(ref, replies)
        if len(self.sent) == self.after and self.round is not None:
            self.round.cancel()


async def test_a_worker_dying_mid_round_resends_one_chunk_at_most_and_loses_none(
    database: Database, clock: ManualClock
) -> None:
    refs = [citizen(n) for n in range(100)]
    await queue(database, clock, refs)
    dying = DyingChannel(after=50)
    first = outbox(database, clock, dying)
    dying.round = asyncio.create_task(first.run_once())
    with pytest.raises(asyncio.CancelledError):
        await dying.round
    assert 50 <= len(dying.sent) < len(refs)
    clock.advance(minutes=6)  # the dead worker's lease on what it did not mark runs out
    channel = RecordingChannel()
    assert await outbox(database, clock, channel).run_once() == len(refs) - len(dying.sent) + (
        len(dying.sent) % RECORD_EVERY or RECORD_EVERY
    )
    told = Counter(ref.user_id for ref, _ in [*dying.sent, *channel.sent])
    assert set(told) == {ref.user_id for ref in refs}  # none lost
    doubled = sum(times - 1 for times in told.values())
    assert 0 < doubled <= RECORD_EVERY  # the chunk in hand, not the round of a hundred
    # What was sent again is what had been rendered: the same words, not a second turn.
    again = {ref.user_id: replies for ref, replies in channel.sent}
    assert all(again.get(ref.user_id, replies) == replies for ref, replies in dying.sent)
