"""Secrets that must survive restarts and be the same in every worker.

Platform secrets sit behind the ``SecretStore`` port. The server key, which keys the link-code
hashes and signs web-chat identities, is made by whichever worker needs it first and read by
all the others (:func:`server_key`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import Database
from bot.storage.sql import dialect_insert
from bot.storage.tables import SecretRow

SERVER_KEY = "server:key"


async def server_key(session: AsyncSession, now: datetime) -> bytes:
    """The server's own 256-bit key, created on first use within the caller's transaction.

    Workers starting together may both make one: the insert keeps whichever committed first
    and every worker then reads that one.
    """
    found = await session.scalar(select(SecretRow.value).where(SecretRow.key == SERVER_KEY))
    if found is None:
        insert = dialect_insert(session, SecretRow).values(
            key=SERVER_KEY, value=secrets.token_hex(32), updated_at=now
        )
        await session.execute(insert.on_conflict_do_nothing(index_elements=["key"]))
        found = (
            await session.scalars(select(SecretRow.value).where(SecretRow.key == SERVER_KEY))
        ).one()
    return bytes.fromhex(found)


class SqlSecretStore:
    """``dialogs.ports.SecretStore`` on the ``secrets`` table; each call is its own transaction."""

    def __init__(
        self, database: Database, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._database = database
        self._now = now

    async def get(self, key: str) -> str | None:
        """The stored value, or None."""
        async with self._database.transaction() as session:
            return await session.scalar(select(SecretRow.value).where(SecretRow.key == key))

    async def add(self, key: str, value: str) -> str:
        """Insert-if-absent: the first worker's value wins and every worker gets it back."""
        async with self._database.transaction() as session:
            insert = dialect_insert(session, SecretRow)
            await session.execute(
                insert.values(key=key, value=value, updated_at=self._now()).on_conflict_do_nothing(
                    index_elements=["key"]
                )
            )
            stored = await session.scalar(select(SecretRow.value).where(SecretRow.key == key))
        return str(stored)

    def exclusive(self, key: str) -> AbstractAsyncContextManager[None]:
        """One holder of ``key`` at a time over every worker (see ``Database.exclusive``)."""
        return self._database.exclusive(f"secret:{key}")

    async def set(self, key: str, value: str) -> None:
        """Store or replace a value (committed before returning)."""
        now = self._now()
        async with self._database.transaction() as session:
            insert = dialect_insert(session, SecretRow)
            await session.execute(
                insert.values(key=key, value=value, updated_at=now).on_conflict_do_update(
                    index_elements=["key"], set_={"value": value, "updated_at": now}
                )
            )
