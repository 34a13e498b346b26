"""What platform adapters must agree on across workers: who blocked the bot, and what a
shortened button stands for (the ``UnreachableUsers`` and ``ButtonPayloads`` ports)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.batches import GroupCommit
from bot.storage.database import Database
from bot.storage.direct import Direct
from bot.storage.sql import dialect_insert, per_row_batch, per_row_keys, table
from bot.storage.tables import ButtonPayloadRow, UnreachableUserRow
from dialogs.messages import IncomingMessage

_UNREACHABLE = table(UnreachableUserRow)


@lru_cache(maxsize=16)
def _discard(size: int) -> Direct:
    """The marks of a batch of users forgotten, built once per batch size (``per_row_batch``):
    every message a citizen writes forgets theirs."""
    return Direct(
        delete(_UNREACHABLE).where(
            _UNREACHABLE.c.channel == bindparam("channel"),
            per_row_keys(_UNREACHABLE.c.user_id, size),
        )
    )


async def writers_reachable(session: AsyncSession, messages: Sequence[IncomingMessage]) -> None:
    """Forget the marks of those who wrote these messages (of one channel), in the caller's
    transaction: whoever writes can be written to. The inbox runs it in the transaction that
    keeps their messages (``DurableInbox.keep_with``), rather than in one of its own before."""
    await _forget(session, messages[0].ref.channel, [message.ref.user_id for message in messages])


async def _forget(session: AsyncSession, channel: str, user_ids: Sequence[str]) -> None:
    discard, keys = per_row_batch(_discard, user_ids)
    await discard.execute(session, {"channel": channel, **keys})


class SqlUnreachableUsers:
    """``dialogs.ports.UnreachableUsers`` of one channel on the ``unreachable_users`` table."""

    def __init__(
        self,
        database: Database,
        channel: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._database = database
        self._channel = channel
        self._now = now
        # Every message a user sends forgets their mark: under a burst, one statement forgets
        # the marks of all the users who wrote meanwhile.
        self._discarding = GroupCommit(self._discard_all, "unreachable marks forgotten")

    async def add(self, user_id: str) -> None:
        """Remember that ``user_id`` cannot be written to (kept if already known)."""
        async with self._database.transaction() as session:
            insert = dialect_insert(session, UnreachableUserRow)
            await session.execute(
                insert.values(
                    channel=self._channel, user_id=user_id, since=self._now()
                ).on_conflict_do_nothing(index_elements=["channel", "user_id"])
            )

    async def discard(self, user_id: str) -> None:
        """Forget it: the user wrote again or unblocked the bot."""
        await self._discarding(user_id)

    async def _discard_all(self, user_ids: Sequence[str]) -> list[None]:
        async with self._database.transaction() as session:
            await _forget(session, self._channel, user_ids)
        return [None] * len(user_ids)

    async def contains(self, user_id: str) -> bool:
        """Whether ``user_id`` is known to be unreachable."""
        async with self._database.transaction() as session:
            found = await session.scalar(
                select(UnreachableUserRow.user_id).where(
                    UnreachableUserRow.channel == self._channel,
                    UnreachableUserRow.user_id == user_id,
                )
            )
        return found is not None


class SqlButtonPayloads:
    """``dialogs.ports.ButtonPayloads`` on the ``button_payloads`` table."""

    def __init__(
        self, database: Database, now: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._database = database
        self._now = now

    async def keep(self, token: str, payload: str) -> None:
        """Store ``payload`` under ``token`` (a no-op when some worker already did)."""
        async with self._database.transaction() as session:
            insert = dialect_insert(session, ButtonPayloadRow)
            await session.execute(
                insert.values(
                    token=token, payload=payload, created_at=self._now()
                ).on_conflict_do_nothing(index_elements=["token"])
            )

    async def find(self, token: str) -> str | None:
        """The payload kept under ``token``, or None."""
        async with self._database.transaction() as session:
            return await session.scalar(
                select(ButtonPayloadRow.payload).where(ButtonPayloadRow.token == token)
            )
