"""Members of the community digital-technology group (coordinators and admins): the requests
citizens sent from the chat, approved or rejected here, and members revoked.

Each decision is written to the audit log and told to the citizen on their own app through the
outbox; a revoked member can no longer file on someone else's behalf from their next message.
"""

from __future__ import annotations

from aiohttp import web

from bot import volunteers
from bot.console.auth import allow
from bot.console.context import N_, console, current_staff, gettext, render
from bot.console.conversations import CHANNEL_NAMES
from bot.storage.staff import Role
from bot.storage.volunteers import DECISIONS, SqlVolunteers
from dialogs.step import Membership
from knowledge.communes import units

routes = web.RouteTableDef()

DECIDERS = (Role.ADMIN, Role.COORDINATOR)
"""Who may see the requests and decide on them."""

SHOWN = 200
"""Requests listed: the waiting ones come first."""

STATUS_NAMES = {
    Membership.PENDING: N_("Waiting for a decision"),
    Membership.APPROVED: N_("Member"),
    Membership.REJECTED: N_("Not approved"),
    Membership.REVOKED: N_("Membership revoked"),
}

DECISION_LABELS = {
    "approve": N_("Approve"),
    "reject": N_("Reject"),
    "revoke": N_("Revoke membership"),
}


@routes.get("/volunteers", name="volunteers")
@allow(*DECIDERS)
async def listed(request: web.Request) -> web.Response:
    """Every request, waiting ones first, each with the decisions its status allows."""
    return await _page(request, None)


async def _page(request: web.Request, error: str | None, status: int = 200) -> web.Response:
    async with console(request).database.transaction() as session:
        found = await SqlVolunteers(session).listed(SHOWN)
    communes = {v.commune: units.commune(v.commune) for v in found}
    context = {
        "volunteers": found,
        "communes": {
            code: unit.label if unit else f"{code:05d}" for code, unit in communes.items()
        },
        "statuses": STATUS_NAMES,
        "channels": CHANNEL_NAMES,
        "decisions": {
            status: [key for key, (before, _after) in DECISIONS.items() if before is status]
            for status in Membership
        },
        "labels": DECISION_LABELS,
        "error": None if error is None else gettext(request)(error),
    }
    return render(request, "volunteers.html", context, status)


@routes.post("/volunteers/{id}/{decision}", name="decide_volunteer")
@allow(*DECIDERS)
async def decide(request: web.Request) -> web.Response:
    """Approve, reject or revoke; a request already decided by someone else is said to be."""
    decision = request.match_info["decision"]
    try:
        volunteer_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if decision not in DECISIONS:
        raise web.HTTPNotFound()
    deps = console(request)
    async with deps.database.transaction() as session:
        if await SqlVolunteers(session).get(volunteer_id) is None:
            raise web.HTTPNotFound()
        decided = await volunteers.decide(
            session, volunteer_id, decision, current_staff(request), deps.clock.now()
        )
    if decided is None:
        return await _page(
            request,
            N_("This request was already decided; the list shows where it stands now."),
            409,
        )
    deps.wake_outbox()
    raise web.HTTPSeeOther(request.app.router["volunteers"].url_for())
