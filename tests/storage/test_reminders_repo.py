"""The reminder outbox table: atomic claims, leases, and moves guarded by the claim."""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

from support.clock import ManualClock

from bot.storage.database import Database
from bot.storage.reminders import ReminderStatus, SqlReminders
from dialogs.messages import Button, ConversationRef, Reply

REF = ConversationRef("telegram", "42")
LEASE = timedelta(minutes=5)


async def _schedule(database: Database, clock: ManualClock, delay: timedelta) -> int:
    async with database.transaction() as session:
        return await SqlReminders(session).schedule(
            REF, clock.now() + delay, "remind:1.001193", clock.now()
        )


async def _claim(database: Database, clock: ManualClock) -> list[int]:
    async with database.transaction() as session:
        return [r.id for r in await SqlReminders(session).claim_due(clock.now(), LEASE, 10)]


async def test_only_due_reminders_are_claimed_and_only_once(
    database: Database, clock: ManualClock
) -> None:
    soon = await _schedule(database, clock, timedelta(hours=1))
    later = await _schedule(database, clock, timedelta(days=3))
    assert await _claim(database, clock) == []
    clock.advance(timedelta(hours=1))
    async with database.transaction() as session:
        reminders = SqlReminders(session)
        (claimed,) = await reminders.claim_due(clock.now(), LEASE, 10)
        assert claimed.id == soon
        assert await reminders.mark_done_all([claimed], clock.now()) == 1
    assert await _claim(database, clock) == []
    clock.advance(timedelta(days=3))
    assert await _claim(database, clock) == [later]


async def test_a_claim_takes_no_more_than_its_limit(database: Database, clock: ManualClock) -> None:
    # On PostgreSQL the locking subquery could run again for each row the UPDATE met, each run
    # skipping the rows the statement had already claimed: a round of 100 took 250.
    ids = [await _schedule(database, clock, timedelta(0)) for _ in range(60)]
    async with database.transaction() as session:
        first = [r.id for r in await SqlReminders(session).claim_due(clock.now(), LEASE, 25)]
    assert first == ids[:25]
    assert await _claim(database, clock) == ids[25:35]


async def test_due_times_keep_their_instant_whatever_the_time_zone(
    database: Database, clock: ManualClock
) -> None:
    hanoi = timezone(timedelta(hours=7))
    due = (clock.now() + timedelta(hours=2)).astimezone(hanoi)
    async with database.transaction() as session:
        reminders = SqlReminders(session)
        reminder_id = await reminders.schedule(REF, due, "p", clock.now())
        stored = await reminders.get(reminder_id)
    assert stored is not None
    assert stored.due_at == due
    assert stored.due_at.utcoffset() == timedelta(0)


async def test_concurrent_workers_never_claim_the_same_reminder(
    database: Database, clock: ManualClock
) -> None:
    ids = {await _schedule(database, clock, timedelta(0)) for _ in range(12)}
    batches = await asyncio.gather(*(_claim(database, clock) for _ in range(4)))
    claimed = [reminder_id for batch in batches for reminder_id in batch]
    assert len(claimed) == len(set(claimed))
    # Rows a worker lost to another are left for the next round, never taken twice.
    claimed += await _claim(database, clock)
    assert sorted(claimed) == sorted(ids)


async def test_a_claim_whose_worker_died_is_taken_over_after_the_lease(
    database: Database, clock: ManualClock
) -> None:
    reminder_id = await _schedule(database, clock, timedelta(0))
    async with database.transaction() as session:
        (first,) = await SqlReminders(session).claim_due(clock.now(), LEASE, 10)
    clock.advance(LEASE / 2)
    assert await _claim(database, clock) == []
    clock.advance(LEASE)
    async with database.transaction() as session:
        reminders = SqlReminders(session)
        (second,) = await reminders.claim_due(clock.now(), LEASE, 10)
        assert second.id == reminder_id
        # The first worker woke up too late: its claim no longer moves the row.
        assert await reminders.mark_done_all([first], clock.now()) == 0
        assert await reminders.mark_done_all([second], clock.now()) == 1
        stored = await reminders.get(reminder_id)
    assert stored is not None and stored.status is ReminderStatus.DONE


async def test_replies_are_kept_and_a_retry_reschedules(
    database: Database, clock: ManualClock
) -> None:
    reminder_id = await _schedule(database, clock, timedelta(0))
    replies = [Reply("Nhắc bác: còn 2 giấy tờ", (Button("Tiếp tục", payload="cl:resume"),))]
    async with database.transaction() as session:
        reminders = SqlReminders(session)
        (claimed,) = await reminders.claim_due(clock.now(), LEASE, 10)
        assert await reminders.store_replies_all([(claimed, replies)]) == {claimed.id}
        assert await reminders.retry(
            claimed, clock.now() + timedelta(minutes=1), "TemporaryFailure", clock.now()
        )
    async with database.transaction() as session:
        (stored,) = await SqlReminders(session).for_conversation(REF)
    assert stored.status is ReminderStatus.PENDING
    assert stored.attempts == 1
    assert stored.replies == tuple(replies)
    assert stored.last_error == "TemporaryFailure"
    assert await _claim(database, clock) == []
    clock.advance(timedelta(minutes=1))
    assert await _claim(database, clock) == [reminder_id]
