"""Conversations handed to staff (claim, release, close) and each commune's local information."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.sql import rowcount
from bot.storage.tables import CommuneInfoRow, HandoffRow, StaffRow
from dialogs.messages import ConversationRef


class HandoffStatus(StrEnum):
    """Where a handed-over conversation is."""

    WAITING = "waiting"  # in the queue, no one answers yet
    CLAIMED = "claimed"  # one staff member answers; others cannot
    CLOSED = "closed"  # the assistant answers again


OPEN = (HandoffStatus.WAITING.value, HandoffStatus.CLAIMED.value)


@dataclass(frozen=True, slots=True)
class Handoff:
    """One handed-over conversation."""

    id: int
    ref: ConversationRef
    commune: str | None
    status: HandoffStatus
    claimed_by: int | None
    claimed_by_name: str | None
    requested_at: datetime
    first_answer_at: datetime | None
    closed_at: datetime | None


class SqlHandoffs:
    """The ``handoffs`` table, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def request(self, ref: ConversationRef, commune: str | None, now: datetime) -> Handoff:
        """Put the conversation in its commune's queue; an open request is kept as it is."""
        found = await self.open_for(ref)
        if found is not None:
            return found
        row = HandoffRow(
            channel=ref.channel,
            user_id=ref.user_id,
            commune=commune,
            status=HandoffStatus.WAITING.value,
            requested_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        handoff = await self.get(row.id)
        assert handoff is not None  # just inserted in this transaction
        return handoff

    async def open_for(self, ref: ConversationRef) -> Handoff | None:
        """The conversation's open handoff, if any."""
        row = await self._session.scalar(
            select(HandoffRow.id).where(
                HandoffRow.channel == ref.channel,
                HandoffRow.user_id == ref.user_id,
                HandoffRow.status.in_(OPEN),
            )
        )
        return None if row is None else await self.get(row)

    async def get(self, handoff_id: int) -> Handoff | None:
        """One handoff by id."""
        found = (
            await self._session.execute(
                select(HandoffRow, StaffRow.name)
                .outerjoin(StaffRow, StaffRow.id == HandoffRow.claimed_by)
                .where(HandoffRow.id == handoff_id)
            )
        ).first()
        return None if found is None else _handoff(found[0], found[1])

    async def listed(
        self, communes: Sequence[str] | None, *, open_only: bool = True, limit: int = 200
    ) -> list[Handoff]:
        """Open (or recent) handoffs, oldest request first; ``communes`` None means all.

        Requests whose commune is unknown are listed only with ``communes`` None (admins).
        """
        query = (
            select(HandoffRow, StaffRow.name)
            .outerjoin(StaffRow, StaffRow.id == HandoffRow.claimed_by)
            .limit(limit)
        )
        if open_only:
            query = query.where(HandoffRow.status.in_(OPEN)).order_by(HandoffRow.id)
        else:
            query = query.order_by(HandoffRow.id.desc())
        if communes is not None:
            query = query.where(HandoffRow.commune.in_(communes))
        return [_handoff(row, name) for row, name in (await self._session.execute(query)).all()]

    async def claim(self, handoff_id: int, staff_id: int, now: datetime) -> bool:
        """Take a waiting conversation (or keep one already ours); False when someone else has it.

        One guarded UPDATE: of two staff claiming at once, exactly one wins.
        """
        result = await self._session.execute(
            update(HandoffRow)
            .where(
                HandoffRow.id == handoff_id,
                or_(
                    HandoffRow.status == HandoffStatus.WAITING.value,
                    (HandoffRow.status == HandoffStatus.CLAIMED.value)
                    & (HandoffRow.claimed_by == staff_id),
                ),
            )
            .values(
                status=HandoffStatus.CLAIMED.value,
                claimed_by=staff_id,
                claimed_at=now,
                updated_at=now,
            )
        )
        return rowcount(result) == 1

    async def release(self, handoff_id: int, staff_id: int, now: datetime) -> bool:
        """Give a claimed conversation back to the queue; only its claimer may."""
        result = await self._session.execute(
            update(HandoffRow)
            .where(
                HandoffRow.id == handoff_id,
                HandoffRow.status == HandoffStatus.CLAIMED.value,
                HandoffRow.claimed_by == staff_id,
            )
            .values(status=HandoffStatus.WAITING.value, claimed_by=None, updated_at=now)
        )
        return rowcount(result) == 1

    async def answered(self, handoff_id: int, staff_id: int, now: datetime) -> bool:
        """Record a staff answer; False unless ``staff_id`` holds the claim."""
        result = await self._session.execute(
            update(HandoffRow)
            .where(
                HandoffRow.id == handoff_id,
                HandoffRow.status == HandoffStatus.CLAIMED.value,
                HandoffRow.claimed_by == staff_id,
            )
            .values(updated_at=now)
        )
        if rowcount(result) != 1:
            return False
        await self._session.execute(
            update(HandoffRow)
            .where(HandoffRow.id == handoff_id, HandoffRow.first_answer_at.is_(None))
            .values(first_answer_at=now)
        )
        return True

    async def close(
        self, handoff_id: int, by: str, now: datetime, staff_id: int | None = None
    ) -> bool:
        """Close an open handoff; with ``staff_id`` only when that staff member may answer it."""
        query = update(HandoffRow).where(HandoffRow.id == handoff_id, HandoffRow.status.in_(OPEN))
        if staff_id is not None:
            query = query.where(
                or_(HandoffRow.claimed_by.is_(None), HandoffRow.claimed_by == staff_id)
            )
        result = await self._session.execute(
            query.values(
                status=HandoffStatus.CLOSED.value, closed_at=now, closed_by=by, updated_at=now
            )
        )
        return rowcount(result) == 1


def _handoff(row: HandoffRow, claimer: str | None) -> Handoff:
    return Handoff(
        id=row.id,
        ref=ConversationRef(row.channel, row.user_id),
        commune=row.commune,
        status=HandoffStatus(row.status),
        claimed_by=row.claimed_by,
        claimed_by_name=claimer,
        requested_at=row.requested_at,
        first_answer_at=row.first_answer_at,
        closed_at=row.closed_at,
    )


@dataclass(frozen=True, slots=True)
class CommuneInfo:
    """A commune's one-stop desk as staff describe it."""

    commune: str
    address: str
    phone: str
    days: str
    opens: str
    closes: str
    map_url: str
    notes: str


class SqlCommuneInfo:
    """The ``commune_info`` table, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, commune: str) -> CommuneInfo | None:
        """One commune's information, if staff entered it."""
        row = await self._session.get(CommuneInfoRow, commune)
        return None if row is None else _info(row)

    async def listed(self, communes: Sequence[str] | None) -> list[CommuneInfo]:
        """The information of ``communes`` (every commune's when None), by code."""
        query = select(CommuneInfoRow).order_by(CommuneInfoRow.commune)
        if communes is not None:
            query = query.where(CommuneInfoRow.commune.in_(communes))
        return [_info(row) for row in await self._session.scalars(query)]

    async def save(self, info: CommuneInfo, now: datetime) -> None:
        """Create or replace a commune's information."""
        row = await self._session.get(CommuneInfoRow, info.commune)
        if row is None:
            row = CommuneInfoRow(commune=info.commune)
            self._session.add(row)
        row.address, row.phone, row.days = info.address, info.phone, info.days
        row.opens, row.closes, row.map_url, row.notes = (
            info.opens,
            info.closes,
            info.map_url,
            info.notes,
        )
        row.updated_at = now
        await self._session.flush()


def _info(row: CommuneInfoRow) -> CommuneInfo:
    return CommuneInfo(
        row.commune, row.address, row.phone, row.days, row.opens, row.closes, row.map_url, row.notes
    )
