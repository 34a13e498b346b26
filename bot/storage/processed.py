"""Platform message ids already handled (the table flavour of webhook deduplication)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.sql import dialect_insert, rowcount
from bot.storage.tables import ProcessedMessageRow


class SqlProcessedMessages:
    """Claims message ids inside the caller's transaction, so a rollback un-claims them."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim(self, channel: str, message_id: str, now: datetime) -> bool:
        """True the first time a (channel, message id) is seen, False for a duplicate.

        On PostgreSQL a concurrent claim of the same id waits for the first transaction and
        then sees the conflict, so only one of them ever proceeds.
        """
        result = await self._session.execute(
            dialect_insert(self._session, ProcessedMessageRow)
            .values(channel=channel, message_id=message_id, processed_at=now)
            .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        )
        return rowcount(result) == 1

    async def prune(self, before: datetime) -> int:
        """Forget ids processed before ``before`` (platforms stop redelivering after a day)."""
        result = await self._session.execute(
            delete(ProcessedMessageRow).where(ProcessedMessageRow.processed_at < before)
        )
        return rowcount(result)
