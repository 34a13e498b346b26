"""The community digital-technology group: requests from the chat, coordinators' decisions.

The dialogs ask to join (``JoinGroup``) and the dispatcher keeps the request here in the turn's
transaction. A coordinator's decision in the console is recorded, written to the staff audit
log and told to the citizen through the outbox (``vo:approved``, ``vo:rejected``,
``vo:revoked``), on the app they asked from, in their own language. The dispatcher reads the
citizen's standing afresh for every turn (``membership``), so filing on someone else's behalf
follows the latest decision at once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.reminders import SqlReminders
from bot.storage.staff import SqlStaff, Staff
from bot.storage.volunteers import SqlVolunteers, Volunteer
from dialogs.messages import ConversationRef
from dialogs.step import JoinGroup, Membership

NOTICE = "vo"
"""The outbox payload prefix of a decision told to the citizen (``vo:<new status>``)."""


async def membership(session: AsyncSession, ref: ConversationRef) -> Membership | None:
    """The standing of the citizen behind ``ref`` (any of their linked apps counts)."""
    return await SqlVolunteers(session).membership(ref)


async def ask(
    session: AsyncSession, ref: ConversationRef, effect: JoinGroup, now: datetime
) -> None:
    """Keep the citizen's request for the coordinators."""
    await SqlVolunteers(session).ask(ref, effect.full_name, effect.commune, effect.phone, now)


async def decide(
    session: AsyncSession, volunteer_id: int, decision: str, staff: Staff, now: datetime
) -> Volunteer | None:
    """Apply a coordinator's decision, audit it and tell the citizen; None when the request is
    not in a status the decision applies to (already decided by someone else)."""
    decided = await SqlVolunteers(session).decide(volunteer_id, decision, staff.email, now)
    if decided is None:
        return None
    await SqlStaff(session).audit(
        staff,
        f"volunteer_{decision}",
        now,
        target=f"volunteer:{decided.id}",
        commune=f"{decided.commune:05d}",
    )
    await SqlReminders(session).schedule(
        decided.ref, now, f"{NOTICE}:{decided.status.value}", now, facts={}
    )
    return decided
