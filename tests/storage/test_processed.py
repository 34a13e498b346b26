"""Message-id deduplication in the table, and its clean-up."""

from __future__ import annotations

from datetime import timedelta

import pytest
from support.clock import ManualClock

from bot.storage.database import Database
from bot.storage.processed import SqlProcessedMessages


async def test_a_message_id_is_claimed_once_per_channel(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        processed = SqlProcessedMessages(session)
        assert await processed.claim("telegram", "update:1", clock.now())
        assert not await processed.claim("telegram", "update:1", clock.now())
        assert await processed.claim("zalo", "update:1", clock.now())
    async with database.transaction() as session:
        assert not await SqlProcessedMessages(session).claim("telegram", "update:1", clock.now())


async def test_a_rolled_back_claim_is_forgotten(database: Database, clock: ManualClock) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            await SqlProcessedMessages(session).claim("messenger", "m_1", clock.now())
            raise RuntimeError("processing failed")
    async with database.transaction() as session:
        assert await SqlProcessedMessages(session).claim("messenger", "m_1", clock.now())


async def test_prune_forgets_old_ids_only(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        await SqlProcessedMessages(session).claim("web", "old", clock.now())
    clock.advance(timedelta(days=2))
    async with database.transaction() as session:
        processed = SqlProcessedMessages(session)
        await processed.claim("web", "new", clock.now())
        assert await processed.prune(clock.now() - timedelta(days=1)) == 1
        assert await processed.claim("web", "old", clock.now())
        assert not await processed.claim("web", "new", clock.now())
