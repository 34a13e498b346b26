"""The audit log of staff actions, read-only: admins see all of it, staff their communes'."""

from __future__ import annotations

from aiohttp import web

from bot.console.auth import allow, scope
from bot.console.context import N_, console, current_staff, render
from bot.storage.staff import Role, SqlStaff

routes = web.RouteTableDef()

PAGE = 100

ACTIONS = {
    "login": N_("Signed in"),
    "logout": N_("Signed out"),
    "login_failed": N_("Wrong password"),
    "login_locked": N_("Sign-in refused: account locked"),
    "claim": N_("Claimed a conversation"),
    "release": N_("Released a conversation"),
    "reply": N_("Answered a citizen"),
    "close": N_("Closed a conversation"),
    "account_add": N_("Added an account"),
    "account_delete": N_("Deleted an account"),
    "commune_save": N_("Saved local information"),
    "kb_upload": N_("Uploaded portal data"),
    "kb_apply": N_("Put a knowledge base in force"),
    "kb_discard": N_("Discarded an import"),
    "announcement_create": N_("Sent or scheduled an announcement"),
    "announcement_cancel": N_("Cancelled an announcement"),
    "volunteer_approve": N_("Approved a digital-technology group member"),
    "volunteer_reject": N_("Rejected a request to join the digital-technology group"),
    "volunteer_revoke": N_("Revoked a digital-technology group membership"),
}
"""What each recorded action is called on the page."""


@routes.get("/audit", name="audit")
@allow(Role.ADMIN, Role.STAFF)
async def audit(request: web.Request) -> web.Response:
    """The newest entries first; ``before`` pages back."""
    before = request.query.get("before", "")
    start = int(before) if before.isdigit() else None
    async with console(request).database.transaction() as session:
        entries = await SqlStaff(session).audit_log(scope(current_staff(request)), PAGE, start)
    older = entries[-1].id if len(entries) == PAGE else None
    return render(request, "audit.html", {"entries": entries, "older": older, "actions": ACTIONS})
