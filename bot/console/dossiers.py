"""Dossiers filed through the assistant, read-only: their state, status and the changes so far."""

from __future__ import annotations

from aiohttp import web

from bot.console.auth import allow, ensure_serves, scope
from bot.console.context import N_, console, current_staff, render
from bot.storage.dossiers import SqlDossiers
from bot.storage.reminders import SqlReminders
from bot.storage.staff import Role
from dialogs.flows.dossiers import STATUS_LABELS

routes = web.RouteTableDef()

PAGE = 100

STATES = {
    "queued": N_("Waiting to be sent to the portal"),
    "filed": N_("Filed with the portal"),
    "rejected": N_("Refused by the portal"),
}


@routes.get("/dossiers", name="dossiers")
@allow(Role.ADMIN, Role.STAFF)
async def dossiers(request: web.Request) -> web.Response:
    """The newest filings of the communes this staff member serves."""
    deps = console(request)
    async with deps.database.transaction() as session:
        found = await SqlDossiers(session).listed(scope(current_staff(request)), PAGE)
    names = {d.procedure: _name(request, d.procedure) for d in found}
    context = {"dossiers": found, "states": STATES, "statuses": STATUS_LABELS, "names": names}
    return render(request, "dossiers.html", context)


def _name(request: web.Request, code: str) -> str:
    procedure = console(request).knowledge.get(code)
    return procedure.name if procedure is not None else code


@routes.get("/dossiers/{id}", name="dossier")
@allow(Role.ADMIN, Role.STAFF)
async def dossier(request: web.Request) -> web.Response:
    """One dossier: what the portal said, and each status change the citizen was told of.

    The changes are the notices the outbox kept for the citizen (the receipt and every status
    change carry the dossier's code and status).
    """
    try:
        dossier_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    async with console(request).database.transaction() as session:
        found = await SqlDossiers(session).get(dossier_id)
        if found is None:
            raise web.HTTPNotFound()
        ensure_serves(current_staff(request), found.commune)
        notices = await SqlReminders(session).for_conversation(found.ref)
    changes = [
        n
        for n in notices
        if n.facts is not None and n.facts.get("code") == found.code and n.facts.get("status")
    ]
    applicant = found.request.get("applicant", {})
    context = {
        "dossier": found,
        "name": _name(request, found.procedure),
        "applicant": str(applicant.get("full_name", "")) if isinstance(applicant, dict) else "",
        "changes": changes,
        "states": STATES,
        "statuses": STATUS_LABELS,
    }
    return render(request, "dossier.html", context)
