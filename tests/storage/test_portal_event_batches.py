"""Portal events applied in batches: a burst costs one transaction, yet every event is applied
once, in each dossier's order, and one event that cannot be applied holds back only itself.

Every test runs on a SQLite file and on PostgreSQL, with the real inbox, the real batch turn
(``PortalEvents``) and the real status announcer; the events are kept before the inbox starts,
so its first claim takes them together.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from support.clock import ManualClock
from support.received import dossier_code, file_received
from support.statements import counted

from bot.dispatcher import Dispatcher
from bot.dossiers import StatusAnnouncer
from bot.inbox import DurableInbox
from bot.portal import EVENTS_CHANNEL, PortalEvent, PortalEvents, event_message
from bot.storage.database import Database
from bot.storage.dossiers import SqlDossiers
from bot.storage.inbox import DONE, PENDING
from bot.storage.reminders import SqlReminders
from bot.storage.tables import DossierRow, InboxRow
from dialogs.messages import ConversationRef
from integrations.portal import HttpPortalClient
from storage.test_dispatcher import echo, make_deps

LEASE = timedelta(seconds=10)
DOSSIERS = 8
UNREADABLE_TIME = "9999-12-31T23:59:59-14:00"
"""A time the portal may send but no database can keep (it is past year 9999 in UTC)."""


def citizen(n: int) -> ConversationRef:
    return ConversationRef("web", f"citizen-{n}")


async def file_dossiers(database: Database, clock: ManualClock) -> None:
    """``DOSSIERS`` dossiers filed, each by its own citizen, as the portal received them."""
    async with database.transaction() as session:
        refs = (citizen(n) for n in range(DOSSIERS))
        await file_received(SqlDossiers(session), refs, clock.now(), date(2026, 12, 8))


def event(n: int, status: str, at: str, event_id: str | None = None) -> PortalEvent:
    return PortalEvent(event_id or f"ev-{n}-{status}", dossier_code(n), status, "", at)


@asynccontextmanager
async def worker(
    database: Database, clock: ManualClock, shutdown_grace: float = 10.0, concurrency: int = 32
) -> AsyncIterator[DurableInbox]:
    """An inbox whose portal events are applied in batches, as ``motcua serve`` wires it."""
    portal = HttpPortalClient("http://127.0.0.1:9", "unused: events need no portal call")
    statuses = StatusAnnouncer(database, portal, clock, lambda: None)
    events = PortalEvents(database, statuses.apply_all)
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    yield DurableInbox(
        database,
        dispatcher.handle,
        clock,
        lease=LEASE,
        poll_interval=0.05,
        shutdown_grace=shutdown_grace,
        concurrency=concurrency,
        batches={EVENTS_CHANNEL: events.apply_all},
    )


async def told(database: Database, n: int) -> list[str]:
    """The statuses citizen ``n`` was told of, in the order they are sent."""
    async with database.transaction() as session:
        notices = await SqlReminders(session).for_conversation(citizen(n))
    return [str(notice.facts["status"]) for notice in notices if notice.facts]


async def rows(database: Database, status: str) -> int:
    async with database.transaction() as session:
        found = await session.scalar(
            select(func.count()).select_from(InboxRow).where(InboxRow.status == status)
        )
        return int(found or 0)


async def test_a_burst_is_applied_once_each_in_every_dossiers_order(
    database: Database, clock: ManualClock
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    later = (clock.now() + timedelta(seconds=1)).isoformat()
    async with worker(database, clock) as inbox:
        for n in range(DOSSIERS):
            assert await inbox.accept(event_message(event(n, "accepted", at), clock))
            assert await inbox.accept(event_message(event(n, "processing", later), clock))
        # The portal delivering the same events again changes nothing.
        assert not await inbox.accept(event_message(event(0, "accepted", at), clock))
        async with inbox:
            await inbox.join()
    for n in range(DOSSIERS):
        assert await told(database, n) == ["accepted", "processing"]
    assert await rows(database, DONE) == 2 * DOSSIERS


async def test_a_burst_larger_than_the_turns_at_once_is_claimed_and_applied_in_one_go(
    database: Database, clock: ManualClock
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    async with worker(database, clock, concurrency=2) as inbox:
        for n in range(DOSSIERS):
            assert await inbox.accept(event_message(event(n, "accepted", at), clock))
        with counted(database) as executed:
            async with inbox:
                await inbox.join()
    announced = [s for s in executed if s.startswith("UPDATE dossiers")]
    assert len(announced) == 1  # not four batches of two
    for n in range(DOSSIERS):
        assert await told(database, n) == ["accepted"]
    assert await rows(database, DONE) == DOSSIERS


async def test_a_burst_costs_one_statement_a_table_whatever_its_size(
    database: Database, clock: ManualClock
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    async with worker(database, clock) as inbox:
        for n in range(DOSSIERS):
            assert await inbox.accept(event_message(event(n, "accepted", at), clock))
        with counted(database) as executed:
            async with inbox:
                await inbox.join()
    for n in range(DOSSIERS):
        assert await told(database, n) == ["accepted"]
    writes = [s.split("=")[0][:21] for s in executed if s.startswith(("INSERT", "UPDATE"))]
    assert sorted(writes) == [
        "INSERT INTO reminders",  # every notice
        "UPDATE dossiers SET s",  # every change recorded
        "UPDATE inbox SET owne",  # the claim
        "UPDATE inbox SET stat",  # every row marked done
    ]
    assert sum(s.startswith("SELECT dossiers.") for s in executed) == 1


async def test_bursts_of_sizes_short_of_the_same_power_of_two_share_one_statement(
    database: Database, clock: ManualClock
) -> None:
    """Five changes, then six, are recorded by one statement built for eight rows, the rows
    short of it padded: each burst size does not get (and compile) a statement of its own."""
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    later = (clock.now() + timedelta(seconds=1)).isoformat()
    bursts = [
        [event(n, "accepted", at) for n in range(5)],
        [event(n, "accepted", at) for n in range(5, DOSSIERS)]
        + [event(n, "processing", later) for n in range(3)],
    ]
    shapes = []
    for burst in bursts:
        async with worker(database, clock) as inbox:
            for change in burst:
                assert await inbox.accept(event_message(change, clock))
            with counted(database) as executed:
                async with inbox:
                    await inbox.join()
        (recorded,) = [s for s in executed if s.startswith("UPDATE dossiers")]
        shapes.append(recorded.split(" WHERE ")[0])
    assert shapes[0] == shapes[1]
    assert shapes[0].split(" END")[0].count(" WHEN ") == 8
    for n in range(DOSSIERS):
        assert await told(database, n) == (["accepted", "processing"] if n < 3 else ["accepted"])


async def test_one_event_that_cannot_be_applied_holds_back_only_itself(
    database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    async with worker(database, clock) as inbox:
        for n in range(DOSSIERS):
            when = UNREADABLE_TIME if n == DOSSIERS // 2 else at
            assert await inbox.accept(event_message(event(n, "accepted", when), clock))
        with caplog.at_level(logging.WARNING, logger="bot.portal"):
            async with inbox:
                await inbox.join()
    assert "portal events applied one by one" in caplog.text
    for n in range(DOSSIERS):
        assert await told(database, n) == ([] if n == DOSSIERS // 2 else ["accepted"])
    # The batch that failed halfway kept nothing: each event was applied once, alone.
    assert await rows(database, DONE) == DOSSIERS - 1
    assert await rows(database, PENDING) == 1  # left to be tried again, then given up


async def test_a_worker_stopped_mid_batch_leaves_every_event_to_the_next_once(
    database: Database, clock: ManualClock
) -> None:
    if database.dialect != "postgresql":
        pytest.skip("a row lock holds the batch midway; SQLite locks the whole file")
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    async with worker(database, clock, shutdown_grace=0.0) as inbox:
        for n in range(DOSSIERS):
            assert await inbox.accept(event_message(event(n, "accepted", at), clock))
        # An officer's tool holds the middle dossier's row: the batch stops there, its first
        # events applied but not committed, and the worker is stopped meanwhile.
        async with database.transaction() as blocker:
            await blocker.execute(
                select(DossierRow.id)
                .where(DossierRow.code == dossier_code(DOSSIERS // 2))
                .with_for_update()
            )
            async with inbox:
                for _ in range(200):
                    waiting = await blocker.scalar(
                        text("SELECT count(*) FROM pg_locks WHERE NOT granted")
                    )
                    if waiting:
                        break
                    await asyncio.sleep(0.05)
                assert waiting, "the batch never reached the held row"
    assert [await told(database, n) for n in range(DOSSIERS)] == [[]] * DOSSIERS
    assert await rows(database, PENDING) == DOSSIERS
    clock.advance(LEASE * 2)  # the stopped worker's leases run out
    async with worker(database, clock) as successor, successor:
        await successor.join()
    for n in range(DOSSIERS):
        assert await told(database, n) == ["accepted"]
    assert await rows(database, DONE) == DOSSIERS
