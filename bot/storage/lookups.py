"""Wrong ID numbers typed to see a dossier, counted per dossier code and per identity.

Dossier codes are sequential and guessable, so seeing a dossier this chat did not file needs
the applicant's ID number too. Five wrong ID numbers for one code lock that code for an hour,
whoever typed them; one identity (an app's user) may type ten wrong ones an hour across codes,
so moving to another code or another app buys a guesser little.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.sql import dialect_insert
from bot.storage.tables import LookupFailureRow

WINDOW = timedelta(hours=1)
MAX_PER_CODE = 5
MAX_PER_IDENTITY = 10
CODE = "code"
IDENTITY = "identity"


class SqlLookupGuard:
    """Failure counters within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def locked(self, code: str, identity: str, now: datetime) -> bool:
        """Whether this code, or this identity, has used up its wrong guesses for now."""
        return (await self._count(CODE, code, now)) >= MAX_PER_CODE or (
            await self._count(IDENTITY, identity, now)
        ) >= MAX_PER_IDENTITY

    async def wrong(self, code: str, identity: str, now: datetime) -> None:
        """Count one wrong ID number against the code and the identity."""
        for kind, key in ((CODE, code), (IDENTITY, identity)):
            current = await self._count(kind, key, now)
            values: dict[str, Any] = {"failures": current + 1}
            if current == 0:  # a new window starts with this failure
                values["window_started_at"] = now
            await self._session.execute(
                dialect_insert(self._session, LookupFailureRow)
                .values(kind=kind, key=key, failures=1, window_started_at=now)
                .on_conflict_do_update(index_elements=["kind", "key"], set_=values)
            )

    async def _count(self, kind: str, key: str, now: datetime) -> int:
        row = await self._session.scalar(
            select(LookupFailureRow).where(
                LookupFailureRow.kind == kind, LookupFailureRow.key == key
            )
        )
        if row is None or row.window_started_at <= now - WINDOW:
            return 0
        return row.failures
