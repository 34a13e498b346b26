"""Platform secrets that must survive restarts, behind the ``SecretStore`` port."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from bot.storage.database import Database
from bot.storage.sql import dialect_insert
from bot.storage.tables import SecretRow


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
