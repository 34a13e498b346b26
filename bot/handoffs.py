"""Handing conversations to commune staff: queueing, opening hours, and staff answers sent
through the outbox.

The dialogs ask for a handoff (``RequestStaff``) and the dispatcher queues it here in the
turn's transaction. A staff answer, or the staff closing the conversation, is a notice in the
reminder outbox (``hs:reply``, ``hs:closed``) rendered by the dialogs and sent by the reminder
worker like every proactive message: within each platform's messaging window, or held until
the citizen writes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.handoffs import CommuneInfo, Handoff, SqlCommuneInfo, SqlHandoffs
from bot.storage.reminders import SqlReminders
from bot.storage.staff import Staff
from bot.storage.subscriptions import commune_of
from dialogs.messages import ConversationRef, IncomingMessage
from dialogs.step import LocalDesk, RequestStaff
from knowledge.communes import units
from knowledge.communes.units import Commune

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Vietnam keeps one offset all year, so no time-zone database is needed."""

REPLY = "hs:reply"
CLOSED = "hs:closed"


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """When a one-stop desk has someone to answer: weekdays (ISO digits) and a daily span."""

    days: str = "12345"
    opens: str = "07:30"
    closes: str = "17:00"

    @classmethod
    def of(cls, info: CommuneInfo | None) -> OpeningHours:
        """The commune's hours, or the usual Monday-to-Friday office hours when not given."""
        return cls() if info is None else cls(info.days, info.opens, info.closes)

    def next_opening(self, now: datetime) -> datetime | None:
        """None while open; else when the desk next opens (Vietnam time)."""
        local = now.astimezone(VIETNAM)
        opens, closes = time.fromisoformat(self.opens), time.fromisoformat(self.closes)
        if not self.days:
            return None  # no hours given at all: never tell a citizen to wait for nothing
        if str(local.isoweekday()) in self.days and opens <= local.time() < closes:
            return None
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            start = datetime.combine(day, opens, VIETNAM)
            if str(day.isoweekday()) in self.days and start > local:
                return start
        return None


async def citizen_commune(session: AsyncSession, ref: ConversationRef) -> str | None:
    """The commune code the citizen behind ``ref`` chose, whose staff serve them.

    The one place the console's side reads it: handoffs, dossiers and the local desk added to
    answers all go through here (or ``commune_code``, for the commune read with the
    conversation). Codes are the five-digit form staff type (``00004``).
    """
    return commune_code(await commune_of(session, ref))


def commune_code(chosen: Commune | None) -> str | None:
    """A chosen commune as the five-digit code staff type, as ``citizen_commune`` gives it."""
    return None if chosen is None else f"{chosen.code:05d}"


async def local_desk(session: AsyncSession, commune: str | None) -> LocalDesk | None:
    """The desk of the citizen's commune (``citizen_commune``) as its staff entered it, for the
    dialogs to show."""
    info = await SqlCommuneInfo(session).get(commune) if commune else None
    if info is None:
        return None
    return LocalDesk(
        info.address, info.phone, info.days, info.opens, info.closes, info.map_url, info.notes
    )


async def request(
    session: AsyncSession, message: IncomingMessage, effect: RequestStaff, now: datetime
) -> IncomingMessage:
    """Queue the conversation for its commune's staff; the internal answer for the dialogs.

    The commune chosen for announcements comes first, then the one picked only to reach a
    person. Without either nothing is queued: the dialogs ask for it (``hs:where``) first.
    """
    commune = await citizen_commune(session, message.ref)
    if commune is None and effect.commune is not None:
        commune = commune_code(units.commune(effect.commune))
    if commune is None:
        return message.follow_up("hs:where")
    await SqlHandoffs(session).request(message.ref, commune, now)
    info = await SqlCommuneInfo(session).get(commune) if commune else None
    opens = OpeningHours.of(info).next_opening(now)
    return message.follow_up(
        "hs:queued",
        {"commune": int(commune), "opens_at": None if opens is None else opens.isoformat()},
    )


async def end_by_citizen(session: AsyncSession, message: IncomingMessage, now: datetime) -> None:
    """The citizen took the conversation back: close its open handoff."""
    handoffs = SqlHandoffs(session)
    found = await handoffs.open_for(message.ref)
    if found is not None:
        await handoffs.close(found.id, "citizen", now)


async def answer(
    session: AsyncSession, handoff: Handoff, staff: Staff, text: str, now: datetime
) -> int | None:
    """Send a staff answer through the outbox; None unless ``staff`` holds the claim.

    Returns the outbox row's id, by which the console follows its delivery.
    """
    if not await SqlHandoffs(session).answered(handoff.id, staff.id, now):
        return None
    return await SqlReminders(session).schedule(
        handoff.ref, now, REPLY, now, facts={"text": text, "handoff": handoff.id}
    )


async def close_by_staff(
    session: AsyncSession, handoff: Handoff, staff: Staff, now: datetime
) -> bool:
    """Close the conversation and tell the citizen the assistant answers again."""
    if not await SqlHandoffs(session).close(handoff.id, "staff", now, staff_id=staff.id):
        return False
    await SqlReminders(session).schedule(handoff.ref, now, CLOSED, now, facts={})
    return True
