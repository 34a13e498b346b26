"""Blocked users and long button payloads, kept where every worker sees them."""

from __future__ import annotations

from bot.storage.database import Database
from bot.storage.platform_state import SqlButtonPayloads, SqlUnreachableUsers


async def test_a_block_is_known_to_another_engine_until_it_is_lifted(
    database: Database, database_url: str
) -> None:
    telegram = SqlUnreachableUsers(database, "telegram")
    await telegram.add("42")
    await telegram.add("42")  # told twice: still one row, no error
    async with Database(database_url) as other_worker:
        elsewhere = SqlUnreachableUsers(other_worker, "telegram")
        assert await elsewhere.contains("42")
        assert not await SqlUnreachableUsers(other_worker, "zalo").contains("42")
        await elsewhere.discard("42")
    assert not await telegram.contains("42")


async def test_a_payload_kept_by_one_engine_is_found_by_another(
    database: Database, database_url: str
) -> None:
    await SqlButtonPayloads(database).keep("~token", "checklist:1.001193:long")
    await SqlButtonPayloads(database).keep("~token", "checklist:1.001193:long")
    async with Database(database_url) as other_worker:
        found = SqlButtonPayloads(other_worker)
        assert await found.find("~token") == "checklist:1.001193:long"
        assert await found.find("~unknown") is None
