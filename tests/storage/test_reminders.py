"""Reminder delivery: once, across restarts and workers, retried or given up as the error says."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from support.clock import ManualClock
from support.waiting import eventually

from bot import i18n
from bot.dispatcher import Dispatcher
from bot.inbox import DurableInbox
from bot.personal_data import Retention
from bot.reminders import FORGET_MESSAGE_IDS_AFTER, ReminderWorker
from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.message_log import Direction, SqlMessageLog
from bot.storage.reminders import Reminder, ReminderStatus, SqlReminders
from bot.storage.tables import ReminderRow
from dialogs.errors import DeliveryError, RateLimited, RecipientUnavailable, TemporaryFailure
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from dialogs.step import DialogDeps
from knowledge.base import LocalKnowledgeBase
from storage.test_dispatcher import REF, echo, make_deps

BACKOFF = timedelta(seconds=30)
AGAIN = (Button("Again", payload="again"),)


class RecordingChannel:
    """A channel that records what it sends, failing first with the errors it is given."""

    name = "telegram"

    def __init__(self, *failures: DeliveryError) -> None:
        self.sent: list[tuple[ConversationRef, tuple[Reply, ...]]] = []
        self.failures = list(failures)
        self.delivered = asyncio.Event()

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((ref, tuple(replies)))
        self.delivered.set()


def worker(
    database: Database,
    clock: ManualClock,
    channel: RecordingChannel,
) -> ReminderWorker:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    return ReminderWorker(
        database,
        dispatcher,
        {"telegram": channel},
        clock,
        poll_interval=0.01,
        backoff=BACKOFF,
        max_attempts=3,
    )


async def _ask_for_a_reminder(database: Database, clock: ManualClock) -> None:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    await dispatcher.handle(IncomingMessage(REF, text="remind"))


async def _reminders(database: Database) -> list[Reminder]:
    async with database.transaction() as session:
        return await SqlReminders(session).for_conversation(REF)


async def _renewed_at(database: Database, moment: datetime) -> bool:
    """Whether the sending worker has renewed its lease at ``moment`` (a busy machine may take
    longer than one renewal period to get there, so the test waits for it, not for a time)."""
    async with database.transaction() as session:
        renewed = await session.scalar(
            select(func.count()).select_from(ReminderRow).where(ReminderRow.updated_at >= moment)
        )
    return bool(renewed)


async def _count(database: Database) -> int:
    async with database.transaction() as session:
        stored = await SqlConversations(session).load(REF)
    assert stored is not None
    return int(stored.state["count"])


async def test_a_reminder_is_delivered_once_after_a_restart(
    database: Database, database_url: str, clock: ManualClock
) -> None:
    await _ask_for_a_reminder(database, clock)
    early = RecordingChannel()
    assert await worker(database, clock, early).run_once() == 0
    assert early.sent == []

    # The process stops; days later a new one starts on the same database.
    clock.advance(timedelta(days=3))
    async with Database(database_url) as restarted:
        channel = RecordingChannel()
        assert await worker(restarted, clock, channel).run_once() == 1
        assert await worker(restarted, clock, channel).run_once() == 0
        assert channel.sent == [(REF, (Reply("2: remind:due", AGAIN),))]
        (reminder,) = await _reminders(restarted)
        assert reminder.status is ReminderStatus.DONE
        assert await _count(restarted) == 2
        async with restarted.transaction() as session:
            history = await SqlMessageLog(session).history(REF)
    # The reminder's payload is not shown as if the user had typed it; its answer is.
    assert [m.direction for m in history] == [Direction.IN, Direction.OUT, Direction.OUT]


async def test_two_workers_deliver_each_reminder_once(
    database: Database, clock: ManualClock
) -> None:
    for _ in range(3):
        await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel()
    counts = await asyncio.gather(
        worker(database, clock, channel).run_once(), worker(database, clock, channel).run_once()
    )
    assert sum(counts) == 3
    assert len(channel.sent) == 3
    assert await _count(database) == 6  # 3 requests + 3 reminders, each turn run once


async def test_a_temporary_failure_is_retried_later_without_running_the_dialog_again(
    database: Database, clock: ManualClock
) -> None:
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel(TemporaryFailure())
    assert await worker(database, clock, channel).run_once() == 0
    (reminder,) = await _reminders(database)
    assert (reminder.status, reminder.attempts) == (ReminderStatus.PENDING, 1)
    assert reminder.due_at == clock.now() + BACKOFF

    assert await worker(database, clock, channel).run_once() == 0  # not due again yet
    clock.advance(BACKOFF)
    assert await worker(database, clock, channel).run_once() == 1
    assert [replies[0].text for _, replies in channel.sent] == ["2: remind:due"]
    assert await _count(database) == 2


async def test_rate_limits_wait_as_long_as_the_platform_asks(
    database: Database, clock: ManualClock
) -> None:
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel(RateLimited(retry_after=120))
    await worker(database, clock, channel).run_once()
    (reminder,) = await _reminders(database)
    assert reminder.due_at == clock.now() + timedelta(seconds=120)
    assert reminder.last_error == "RateLimited"


async def test_a_blocked_user_is_not_retried(database: Database, clock: ManualClock) -> None:
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel(RecipientUnavailable())
    assert await worker(database, clock, channel).run_once() == 0
    (reminder,) = await _reminders(database)
    assert (reminder.status, reminder.last_error) == (ReminderStatus.FAILED, "RecipientUnavailable")
    clock.advance(timedelta(days=1))
    assert await worker(database, clock, channel).run_once() == 0


async def test_retries_stop_after_the_last_attempt(database: Database, clock: ManualClock) -> None:
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel(*(TemporaryFailure() for _ in range(5)))
    for _ in range(4):
        await worker(database, clock, channel).run_once()
        clock.advance(timedelta(hours=1))
    (reminder,) = await _reminders(database)
    assert (reminder.status, reminder.attempts) == (ReminderStatus.FAILED, 3)
    assert channel.sent == []


async def test_a_reminder_for_a_channel_that_is_gone_fails_clearly(
    database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    await dispatcher.handle(IncomingMessage(ConversationRef("zalo", "555"), text="remind"))
    clock.advance(timedelta(days=3))
    assert await worker(database, clock, RecordingChannel()).run_once() == 0
    async with database.transaction() as session:
        (reminder,) = await SqlReminders(session).for_conversation(ConversationRef("zalo", "555"))
    assert (reminder.status, reminder.last_error) == (ReminderStatus.FAILED, "UnknownChannel")
    assert "555" not in caplog.text


async def test_a_session_of_one_channel_leaves_the_other_channels_reminders_untouched(
    database: Database, clock: ManualClock
) -> None:
    """``motcua chat`` delivers its own channel's notices; a Zalo citizen's, which it has no
    platform to send, stay pending for the deployment's workers instead of failing."""
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    await dispatcher.handle(IncomingMessage(ConversationRef("zalo", "555"), text="remind"))
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel()
    assert await worker(database, clock, channel).run_once(only=("telegram",)) == 1
    assert [ref for ref, _ in channel.sent] == [REF]
    async with database.transaction() as session:
        (waiting,) = await SqlReminders(session).for_conversation(ConversationRef("zalo", "555"))
    assert waiting.status == ReminderStatus.PENDING


async def test_the_background_loop_delivers_until_told_to_stop(
    database: Database, clock: ManualClock
) -> None:
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    channel = RecordingChannel()
    stop = asyncio.Event()
    task = asyncio.create_task(worker(database, clock, channel).run(stop))
    try:
        async with asyncio.timeout(10):
            await channel.delivered.wait()
    finally:
        stop.set()
        async with asyncio.timeout(5):  # told to stop, it ends its pause at once
            await task
    assert len(channel.sent) == 1


async def test_the_loop_also_forgets_old_message_ids(
    database: Database, clock: ManualClock
) -> None:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    async with DurableInbox(database, dispatcher.handle, clock, poll_interval=0.05) as inbox:
        await inbox.answer(IncomingMessage(REF, text="hello", message_id="old"), patience=5)
        await inbox.join()  # done, not only answered
        clock.advance(FORGET_MESSAGE_IDS_AFTER + timedelta(seconds=1))
        await inbox.answer(IncomingMessage(REF, text="hello", message_id="new"), patience=5)
        await inbox.join()
        assert await worker(database, clock, RecordingChannel()).forget_old_message_ids() == 1
        # A message that old is no longer a redelivery; a recent one still is.
        assert await inbox.accept(IncomingMessage(REF, text="again", message_id="old"))
        assert not await inbox.accept(IncomingMessage(REF, text="again", message_id="new"))


@pytest.fixture(scope="module")
def knowledge() -> LocalKnowledgeBase:
    """The shipped procedure knowledge base."""
    return LocalKnowledgeBase.load(None)


def _payload(replies: Sequence[Reply], prefix: str) -> str:
    """The payload of the first button offered that starts with ``prefix``."""
    return next(
        b.payload for r in replies for b in r.buttons if b.payload and b.payload.startswith(prefix)
    )


async def test_a_citizen_asks_for_a_reminder_and_gets_it_after_a_restart(
    database: Database, database_url: str, clock: ManualClock, knowledge: LocalKnowledgeBase
) -> None:
    deps = DialogDeps(knowledge=knowledge, clock=clock, translator=i18n.translator)
    dispatcher = Dispatcher(database, deps)
    replies = await dispatcher.handle(IncomingMessage(REF, text="dang ky khai sinh"))
    replies = await dispatcher.handle(IncomingMessage(REF, payload=_payload(replies, "proc:")))
    checklist = _payload(replies, "cl:go:")
    await dispatcher.handle(IncomingMessage(REF, payload=checklist))
    await dispatcher.handle(IncomingMessage(REF, text="nhac toi sau 3 ngay"))
    (pending,) = await _reminders(database)
    assert pending.status is ReminderStatus.PENDING

    clock.advance(timedelta(days=3))
    async with Database(database_url) as restarted:
        channel = RecordingChannel()
        workers = [
            ReminderWorker(restarted, Dispatcher(restarted, deps), {"telegram": channel}, clock)
            for _ in range(2)
        ]
        assert await workers[0].run_once() + await workers[1].run_once() == 1
        ((ref, sent),) = channel.sent
        assert ref == REF and sent[0].text
        assert checklist in [b.payload for reply in sent for b in reply.buttons]


class TellingWorker(ReminderWorker):
    """A worker that says when its loop has purged the message log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.purged = asyncio.Event()

    async def purge_personal_data(self) -> dict[str, int]:
        removed = await super().purge_personal_data()
        self.purged.set()
        return removed


async def test_the_loop_also_purges_the_message_log(database: Database, clock: ManualClock) -> None:
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    await dispatcher.handle(IncomingMessage(REF, text="ten days ago"))
    clock.advance(timedelta(days=9))
    await dispatcher.handle(IncomingMessage(REF, text="a day ago"))
    clock.advance(timedelta(days=1, seconds=1))

    keep_ten_days = TellingWorker(
        database,
        dispatcher,
        {},
        clock,
        poll_interval=0.01,
        retention=Retention(personal=timedelta(days=365), messages=timedelta(days=10)),
    )
    stop = asyncio.Event()
    task = asyncio.create_task(keep_ten_days.run(stop))
    try:
        async with asyncio.timeout(10):
            await keep_ten_days.purged.wait()
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await task
    async with database.transaction() as session:
        texts = [m.text for m in await SqlMessageLog(session).history(REF)]
    # The echo dialog answers each message: the old pair is gone, the recent pair kept.
    assert texts == ["a day ago", "2: a day ago"]


async def test_a_notice_queued_during_a_round_goes_out_without_waiting_for_the_poll(
    database: Database, clock: ManualClock
) -> None:
    channel = RecordingChannel()

    class Worker(ReminderWorker):
        """Queues a notice (and wakes itself) in the housekeeping after its first delivery,
        as a status change arriving late in a round would."""

        async def forget_old_message_ids(self) -> int:
            async with database.transaction() as session:
                await SqlReminders(session).schedule(REF, clock.now(), "remind:due", clock.now())
            self.wake()
            return await super().forget_old_message_ids()

    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    slow = Worker(database, dispatcher, {"telegram": channel}, clock, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(slow.run(stop))
    try:
        async with asyncio.timeout(5):  # far less than the minute between polls
            while len(channel.sent) < 1:
                channel.delivered.clear()
                await channel.delivered.wait()
    finally:
        stop.set()
        async with asyncio.timeout(5):
            await running
    assert [ref for ref, _replies in channel.sent] == [REF]


async def test_a_notice_goes_out_while_the_housekeeping_is_still_purging(
    database: Database, clock: ManualClock
) -> None:
    channel = RecordingChannel()
    purging, released = asyncio.Event(), asyncio.Event()

    class Worker(ReminderWorker):
        """Its purge lasts until the test releases it, as one of a large table would."""

        async def purge_personal_data(self) -> dict[str, int]:
            purging.set()
            await released.wait()
            return await super().purge_personal_data()

    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    busy = Worker(database, dispatcher, {"telegram": channel}, clock, poll_interval=60)
    stop = asyncio.Event()
    running = asyncio.create_task(busy.run(stop))
    try:
        async with asyncio.timeout(5):
            await purging.wait()
            async with database.transaction() as session:
                await SqlReminders(session).schedule(REF, clock.now(), "remind:due", clock.now())
            busy.wake()
            while not channel.sent:
                channel.delivered.clear()
                await channel.delivered.wait()
    finally:
        released.set()
        stop.set()
        async with asyncio.timeout(5):
            await running
    assert [ref for ref, _replies in channel.sent] == [REF]


async def test_a_batch_slowed_by_the_platform_keeps_its_lease(
    database: Database, clock: ManualClock
) -> None:
    """A second worker does not take over, and send again, a reminder that is being sent."""
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    release = asyncio.Event()

    class SlowChannel(RecordingChannel):
        async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
            self.delivered.set()
            await release.wait()  # the platform makes the worker wait (a rate limit)
            self.sent.append((ref, tuple(replies)))

    lease = timedelta(seconds=0.3)
    slow = SlowChannel()
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    first = ReminderWorker(database, dispatcher, {"telegram": slow}, clock, lease=lease)
    sending = asyncio.create_task(first.run_once())
    await asyncio.wait_for(slow.delivered.wait(), 10)
    clock.advance(timedelta(minutes=10))  # far past the lease, had it not been renewed
    await eventually(lambda: _renewed_at(database, clock.now()), within=10)
    other = RecordingChannel()
    second = ReminderWorker(database, dispatcher, {"telegram": other}, clock, lease=lease)
    assert await second.run_once() == 0
    release.set()
    assert await asyncio.wait_for(sending, 10) == 1
    assert other.sent == []
    assert len(slow.sent) == 1
    (reminder,) = await _reminders(database)
    assert reminder.status is ReminderStatus.DONE
