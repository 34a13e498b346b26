"""Requests to join the community digital-technology group, and coordinators' decisions.

A citizen asks from the chat; a coordinator approves or rejects the request in the console and
may later revoke an approved member. Each decision is a compare-and-set on the status, so two
coordinators deciding at once cannot both win.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, ScalarSelect, Select, bindparam, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.identity import on_citizens_apps
from bot.storage.sql import rowcount
from bot.storage.tables import VolunteerRow
from dialogs.messages import ConversationRef
from dialogs.step import Membership

DECISIONS: dict[str, tuple[Membership, Membership]] = {
    "approve": (Membership.PENDING, Membership.APPROVED),
    "reject": (Membership.PENDING, Membership.REJECTED),
    "revoke": (Membership.APPROVED, Membership.REVOKED),
}
"""Each decision a coordinator can take: the status it applies to, and the status it sets."""


@dataclass(frozen=True, slots=True)
class Volunteer:
    """A request to join, as the console shows it."""

    id: int
    ref: ConversationRef
    full_name: str
    commune: int
    phone: str
    status: Membership
    requested_at: datetime
    decided_at: datetime | None
    decided_by: str | None


def _volunteer(row: VolunteerRow) -> Volunteer:
    return Volunteer(
        row.id,
        ConversationRef(row.channel, row.user_id),
        row.full_name,
        row.commune_code,
        row.phone,
        Membership(row.status),
        row.requested_at,
        row.decided_at,
        row.decided_by,
    )


class SqlVolunteers:
    """The ``volunteers`` table, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def ask(
        self, ref: ConversationRef, full_name: str, commune: int, phone: str, now: datetime
    ) -> Volunteer:
        """Keep a request to join; an earlier one of this app (refused, revoked) is replaced."""
        row = await self._session.scalar(
            select(VolunteerRow).where(
                VolunteerRow.channel == ref.channel, VolunteerRow.user_id == ref.user_id
            )
        )
        if row is None:
            row = VolunteerRow(channel=ref.channel, user_id=ref.user_id, requested_at=now)
            self._session.add(row)
        row.full_name, row.commune_code, row.phone = full_name, commune, phone
        row.status, row.requested_at, row.updated_at = Membership.PENDING.value, now, now
        row.decided_at = row.decided_by = None
        await self._session.flush()
        return _volunteer(row)

    async def membership(self, ref: ConversationRef) -> Membership | None:
        """The standing of the citizen behind ``ref``, on this app or a linked one: approved on
        any app wins, else the latest request's status; None when they never asked. Read as
        the statement that opens a turn reads it (``standing_of_app``): one definition."""
        status = await self._session.scalar(
            _STANDING, {"channel": ref.channel, "user_id": ref.user_id}
        )
        return None if status is None else Membership(status)

    async def listed(self, limit: int) -> list[Volunteer]:
        """Requests waiting for a decision first, then members, then the rest; newest first."""
        rank = case(
            (VolunteerRow.status == Membership.PENDING.value, 0),
            (VolunteerRow.status == Membership.APPROVED.value, 1),
            else_=2,
        )
        rows = await self._session.scalars(
            select(VolunteerRow).order_by(rank, VolunteerRow.updated_at.desc()).limit(limit)
        )
        return [_volunteer(row) for row in rows]

    async def get(self, volunteer_id: int) -> Volunteer | None:
        """One request by id."""
        row = await self._session.get(VolunteerRow, volunteer_id)
        return None if row is None else _volunteer(row)

    async def decide(
        self, volunteer_id: int, decision: str, by: str, now: datetime
    ) -> Volunteer | None:
        """Apply ``decision`` (a key of :data:`DECISIONS`); None when the request is not (or
        no longer) in the status it applies to."""
        before, after = DECISIONS[decision]
        result = await self._session.execute(
            update(VolunteerRow)
            .where(VolunteerRow.id == volunteer_id, VolunteerRow.status == before.value)
            .values(status=after.value, decided_at=now, decided_by=by, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if rowcount(result) == 0:
            return None
        row = await self._session.get(VolunteerRow, volunteer_id, populate_existing=True)
        return None if row is None else _volunteer(row)


def _standing(channel: str | ColumnElement[str], user_id: str | ColumnElement[str]) -> Select[str]:
    """The status of the requests made on the app or on any app linked to the same person
    (the links read in the same statement), an approval first, then the newest."""
    theirs = on_citizens_apps(VolunteerRow.channel, VolunteerRow.user_id, channel, user_id)
    approved_first = case((VolunteerRow.status == Membership.APPROVED.value, 0), else_=1)
    return (
        select(VolunteerRow.status)
        .where(theirs)
        .order_by(approved_first, VolunteerRow.updated_at.desc())
        .limit(1)
    )


def standing_of_app(channel: ColumnElement[str], user_id: ColumnElement[str]) -> ScalarSelect[str]:
    """The standing (``membership``) of the citizen on the app (``channel``, ``user_id``), as
    a subquery: read with the statement that opens the conversation, every turn."""
    return _standing(channel, user_id).scalar_subquery()


_STANDING = _standing(bindparam("channel"), bindparam("user_id"))
"""``membership``'s statement, built once."""
