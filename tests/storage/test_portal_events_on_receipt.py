"""Portal events applied as they are received: in the transaction that keeps them, so their
notices are queued by the time the portal hears the 200, each event once, in each dossier's
order; an event that cannot be applied then is kept for the inbox's loop, as before.

Every test runs on a SQLite file and on PostgreSQL, with the real inbox wired as
``motcua serve`` wires it (``on_receipt`` beside ``batches``), the real ``PortalEvents`` and
the real status announcer. The inbox's loop is not started until a test says so: whatever is
applied before it was applied on receipt.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from sqlalchemy import select
from support.clock import ManualClock
from support.statements import counted

from bot.dispatcher import Dispatcher
from bot.dossiers import StatusAnnouncer
from bot.inbox import DurableInbox
from bot.portal import EVENTS_CHANNEL, PortalEvents, event_message
from bot.storage.database import Database
from bot.storage.inbox import DONE, PENDING
from bot.storage.tables import InboxRow
from integrations.portal import HttpPortalClient
from storage.test_dispatcher import echo, make_deps
from storage.test_portal_event_batches import (
    DOSSIERS,
    LEASE,
    UNREADABLE_TIME,
    event,
    file_dossiers,
    rows,
    told,
)


@asynccontextmanager
async def receiver(
    database: Database, clock: ManualClock, *, on_receipt: bool = True
) -> AsyncIterator[tuple[DurableInbox, list[str]]]:
    """An inbox whose portal events are applied on receipt (or, without ``on_receipt``, only
    by its loop), and the wake-ups the outbox was given."""
    woken: list[str] = []
    portal = HttpPortalClient("http://127.0.0.1:9", "unused: events need no portal call")
    statuses = StatusAnnouncer(database, portal, clock, lambda: woken.append("outbox"))
    events = PortalEvents(database, statuses.apply_all, lambda: woken.append("outbox"))
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    yield (
        DurableInbox(
            database,
            dispatcher.handle,
            clock,
            lease=LEASE,
            poll_interval=0.05,
            batches={EVENTS_CHANNEL: events.apply_all},
            on_receipt={EVENTS_CHANNEL: events.on_receipt} if on_receipt else None,
        ),
        woken,
    )


async def test_a_burst_received_together_is_applied_before_the_portal_is_answered(
    database: Database, clock: ManualClock
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    async with receiver(database, clock) as (inbox, woken):
        with counted(database) as executed:
            kept = await asyncio.gather(
                *(
                    inbox.accept(event_message(event(n, "accepted", at), clock))
                    for n in range(DOSSIERS)
                )
            )
    assert kept == [True] * DOSSIERS
    for n in range(DOSSIERS):
        assert await told(database, n) == ["accepted"]
    assert await rows(database, DONE) == DOSSIERS
    assert woken, "the outbox was not woken for the notices queued"
    # Kept, applied and marked done without a claim: one statement a table, one commit.
    writes = sorted(s.split("=")[0][:21] for s in executed if s.startswith(("INSERT", "UPDATE")))
    assert writes == [
        "INSERT INTO inbox (ch",  # the events kept
        "INSERT INTO reminders",  # every notice
        "UPDATE dossiers SET s",  # every change recorded
        "UPDATE inbox SET stat",  # every row marked done
    ]


async def test_an_event_delivered_again_is_applied_once(
    database: Database, clock: ManualClock
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    later = (clock.now() + timedelta(seconds=1)).isoformat()
    async with receiver(database, clock) as (inbox, _woken):
        assert await inbox.accept(event_message(event(0, "accepted", at), clock))
        assert not await inbox.accept(event_message(event(0, "accepted", at), clock))
        assert await inbox.accept(event_message(event(0, "processing", later), clock))
        # The same event twice in one burst, and again after it.
        first, again = await asyncio.gather(
            inbox.accept(event_message(event(1, "accepted", at), clock)),
            inbox.accept(event_message(event(1, "accepted", at), clock)),
        )
        assert sorted([first, again]) == [False, True]
    assert await told(database, 0) == ["accepted", "processing"]
    assert await told(database, 1) == ["accepted"]
    assert await rows(database, DONE) == 3


async def test_an_event_behind_one_still_open_waits_for_it(
    database: Database, clock: ManualClock
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    later = (clock.now() + timedelta(seconds=1)).isoformat()
    # The first change was kept by a worker that applies events only in its loop.
    async with receiver(database, clock, on_receipt=False) as (plain, _woken):
        assert await plain.accept(event_message(event(0, "accepted", at), clock))
    async with receiver(database, clock) as (inbox, _woken):
        assert await inbox.accept(event_message(event(0, "processing", later), clock))
        assert await inbox.accept(event_message(event(1, "processing", later), clock))
        # Dossier 0's second change waits behind its first; dossier 1's has nothing to wait for.
        assert await told(database, 0) == []
        assert await told(database, 1) == ["processing"]
        assert await rows(database, PENDING) == 2
        async with inbox:
            await inbox.join()
    assert await told(database, 0) == ["accepted", "processing"]
    assert await rows(database, DONE) == 3


async def test_a_burst_that_cannot_be_applied_on_receipt_is_kept_for_the_loop(
    database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await file_dossiers(database, clock)
    at = clock.now().isoformat()
    bad = DOSSIERS // 2
    async with receiver(database, clock) as (inbox, _woken):
        with caplog.at_level(logging.WARNING, logger="bot.inbox"):
            kept = await asyncio.gather(
                *(
                    inbox.accept(
                        event_message(
                            event(n, "accepted", UNREADABLE_TIME if n == bad else at), clock
                        )
                    )
                    for n in range(DOSSIERS)
                )
            )
        # Every event is kept (the portal gets its 200), none applied yet: the batch failed.
        assert kept == [True] * DOSSIERS
        assert "inbox messages kept to be applied later" in caplog.text
        assert await rows(database, PENDING) == DOSSIERS
        async with inbox:
            await inbox.join()
    for n in range(DOSSIERS):
        assert await told(database, n) == ([] if n == bad else ["accepted"])
    async with database.transaction() as session:
        left = await session.scalar(select(InboxRow.user_id).where(InboxRow.status == PENDING))
    assert left is not None and left.endswith(f"{bad:04d}")
