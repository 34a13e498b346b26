"""Knowledge versions and their source files, within the caller's session.

Only one version is in force at a time: putting a staged one in force and retiring the one
before happen in the same transaction, guarded on the states they were read in, and a unique
index on the state "in force" refuses a second one should two staff members apply at once
(``IntegrityError``: the caller's transaction is rolled back).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.sql import rowcount
from bot.storage.tables import KnowledgeSourceRow, KnowledgeVersionRow

IMPORT_GIVEN_UP_AFTER = timedelta(minutes=15)
"""An import still running after this long was cut short (its worker stopped): it is shown as
interrupted, and staff upload the file again."""


class VersionState(StrEnum):
    """Where a knowledge version is in its life."""

    IMPORTING = "importing"
    FAILED = "failed"
    STAGED = "staged"
    IN_FORCE = "in_force"
    REPLACED = "replaced"
    DISCARDED = "discarded"
    INTERRUPTED = "interrupted"
    """Never stored: an import whose worker stopped before it finished."""


@dataclass(frozen=True, slots=True)
class KnowledgeVersion:
    """A version without its data: what the console lists and shows."""

    id: int
    state: VersionState
    uploaded: tuple[str, ...]
    created_by: int | None
    created_at: datetime
    finished_at: datetime | None
    applied_at: datetime | None
    summary: Mapping[str, Any] | None
    error: str | None


def _version(row: KnowledgeVersionRow, now: datetime) -> KnowledgeVersion:
    state = VersionState(row.state)
    if state is VersionState.IMPORTING and now - row.created_at > IMPORT_GIVEN_UP_AFTER:
        state = VersionState.INTERRUPTED
    return KnowledgeVersion(
        id=row.id,
        state=state,
        uploaded=tuple(row.uploaded),
        created_by=row.created_by,
        created_at=row.created_at,
        finished_at=row.finished_at,
        applied_at=row.applied_at,
        summary=row.summary,
        error=row.error,
    )


class SqlKnowledgeVersions:
    """Knowledge versions, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def start(self, files: Mapping[str, bytes], staff_id: int, now: datetime) -> int:
        """Record an upload as an import under way; its sources are the files uploaded with
        the version in force (if any) with ``files`` replacing those of the same name."""
        inherited: dict[str, bytes] = {}
        current = await self.in_force_id()
        if current is not None:
            inherited = await self.sources(current)
        row = KnowledgeVersionRow(
            state=VersionState.IMPORTING,
            uploaded=sorted(files),
            created_by=staff_id,
            created_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        for name, data in {**inherited, **files}.items():
            self._session.add(KnowledgeSourceRow(version_id=row.id, name=name, data=data))
        await self._session.flush()
        return row.id

    async def sources(self, version_id: int) -> dict[str, bytes]:
        """The uploaded files a version is built from, by name (the shipped ones are not kept)."""
        rows = await self._session.scalars(
            select(KnowledgeSourceRow).where(KnowledgeSourceRow.version_id == version_id)
        )
        return {row.name: row.data for row in rows}

    async def staged(
        self, version_id: int, data: bytes, summary: Mapping[str, Any], now: datetime
    ) -> bool:
        """The import finished: keep the built knowledge base and its diff for review."""
        return await self._move(
            version_id,
            VersionState.IMPORTING,
            state=VersionState.STAGED,
            data=data,
            summary=dict(summary),
            finished_at=now,
        )

    async def failed(self, version_id: int, reason: str, now: datetime) -> bool:
        """The import could not read the files; ``reason`` is shown to staff."""
        return await self._move(
            version_id,
            VersionState.IMPORTING,
            state=VersionState.FAILED,
            error=reason[:2000],
            finished_at=now,
        )

    async def apply(self, version_id: int, staff_id: int, now: datetime) -> bool:
        """Put a staged version in force and retire the one before; False if it is not staged.

        Raises ``IntegrityError`` when another transaction put a version in force meanwhile.
        """
        version = await self.get(version_id, now)
        if version is None or version.state is not VersionState.STAGED:
            return False
        current = await self.in_force_id()
        if current is not None:
            await self._move(current, VersionState.IN_FORCE, state=VersionState.REPLACED)
        return await self._move(
            version_id,
            VersionState.STAGED,
            state=VersionState.IN_FORCE,
            applied_by=staff_id,
            applied_at=now,
        )

    async def discard(self, version_id: int, now: datetime) -> bool:
        """Drop a staged or failed version, and the knowledge base built for it."""
        for state in (VersionState.STAGED, VersionState.FAILED):
            if await self._move(
                version_id, state, state=VersionState.DISCARDED, data=None, finished_at=now
            ):
                return True
        return False

    async def get(self, version_id: int, now: datetime) -> KnowledgeVersion | None:
        """One version, or None."""
        row = await self._session.get(KnowledgeVersionRow, version_id)
        return None if row is None else _version(row, now)

    async def recent(self, limit: int, now: datetime) -> list[KnowledgeVersion]:
        """The newest versions first."""
        rows = await self._session.scalars(
            select(KnowledgeVersionRow).order_by(KnowledgeVersionRow.id.desc()).limit(limit)
        )
        return [_version(row, now) for row in rows]

    async def in_force_id(self) -> int | None:
        """The version every worker should serve; None while the shipped one is served."""
        found: int | None = await self._session.scalar(
            select(KnowledgeVersionRow.id).where(KnowledgeVersionRow.state == VersionState.IN_FORCE)
        )
        return found

    async def data(self, version_id: int) -> bytes | None:
        """A version's built knowledge base."""
        found: bytes | None = await self._session.scalar(
            select(KnowledgeVersionRow.data).where(KnowledgeVersionRow.id == version_id)
        )
        return found

    async def _move(self, version_id: int, from_state: VersionState, **values: Any) -> bool:
        result = await self._session.execute(
            update(KnowledgeVersionRow)
            .where(KnowledgeVersionRow.id == version_id, KnowledgeVersionRow.state == from_state)
            .values(**values)
        )
        return rowcount(result) == 1
