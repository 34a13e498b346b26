"""Conversations handed to staff: the live queue, one conversation, claim, answer, close."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot import handoffs
from bot.console.auth import allow, ensure_serves, scope
from bot.console.context import N_, console, current_staff, gettext, render
from bot.storage.handoffs import Handoff, HandoffStatus, SqlHandoffs
from bot.storage.message_log import SqlMessageLog, pressed_labels
from bot.storage.reminders import ReminderStatus, SqlReminders
from bot.storage.staff import Role, SqlStaff, Staff

routes = web.RouteTableDef()

MAX_ANSWER_CHARS = 2000
"""A staff answer longer than this is refused with a message (platforms split long text)."""

HISTORY = 100
"""Messages of the conversation shown: the citizen's, the assistant's and the staff's."""

CHANNEL_NAMES = {
    "web": N_("Web chat"),
    "telegram": N_("Telegram"),
    "zalo": "Zalo",
    "messenger": "Messenger",
    "terminal": N_("Terminal"),
}

STATUS_NAMES = {
    HandoffStatus.WAITING: N_("Waiting"),
    HandoffStatus.CLAIMED: N_("Being answered"),
    HandoffStatus.CLOSED: N_("Closed"),
}


@routes.get("/", name="conversations")
@allow(*Role)
async def queue(request: web.Request) -> web.Response:
    """Conversations waiting for a person or being answered, oldest first; refreshed live.

    This is where signing in lands: a volunteer coordinator, who answers no conversations, is
    sent on to the digital-technology group's page.
    """
    if current_staff(request).role is Role.COORDINATOR:
        raise web.HTTPSeeOther(request.app.router["volunteers"].url_for())
    return render(request, "conversations.html", await _queue(request))


@routes.get("/conversations/live", name="conversations_live")
@allow(Role.ADMIN, Role.STAFF)
async def queue_live(request: web.Request) -> web.Response:
    """The queue's table alone, fetched every few seconds by the page."""
    return render(request, "_queue.html", await _queue(request))


async def _queue(request: web.Request) -> dict[str, object]:
    staff = current_staff(request)
    async with console(request).database.transaction() as session:
        found = await SqlHandoffs(session).listed(scope(staff))
    return {"handoffs": found, "channels": CHANNEL_NAMES, "statuses": STATUS_NAMES}


async def _handoff(request: web.Request) -> Handoff:
    """The handoff in the URL, if this staff member serves its commune (else 404 or 403)."""
    try:
        handoff_id = int(request.match_info["id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    async with console(request).database.transaction() as session:
        found = await SqlHandoffs(session).get(handoff_id)
    if found is None:
        raise web.HTTPNotFound()
    ensure_serves(current_staff(request), found.commune)
    return found


@routes.get("/conversations/{id}", name="conversation")
@allow(Role.ADMIN, Role.STAFF)
async def conversation(request: web.Request) -> web.Response:
    """One conversation: what was said so far, answers still on their way, and the actions."""
    return render(request, "conversation.html", await _conversation(request, error=None))


@routes.get("/conversations/{id}/messages", name="conversation_messages")
@allow(Role.ADMIN, Role.STAFF)
async def messages(request: web.Request) -> web.Response:
    """The conversation's messages alone, fetched every few seconds by the page."""
    return render(request, "_messages.html", await _conversation(request, error=None))


async def _conversation(
    request: web.Request, *, error: str | None, draft: str = ""
) -> dict[str, object]:
    handoff = await _handoff(request)
    async with console(request).database.transaction() as session:
        history = await SqlMessageLog(session).history(handoff.ref, HISTORY)
        outbox = await SqlReminders(session).for_conversation(handoff.ref)
    waiting = [
        r
        for r in outbox
        if r.payload == handoffs.REPLY
        and r.status in (ReminderStatus.PENDING, ReminderStatus.HELD)
        and r.facts is not None
    ]
    return {
        "handoff": handoff,
        "history": history,
        "pressed": pressed_labels(history),
        "undelivered": waiting,
        "held": ReminderStatus.HELD,
        "mine": handoff.status is HandoffStatus.CLAIMED
        and handoff.claimed_by == current_staff(request).id,
        "channels": CHANNEL_NAMES,
        "statuses": STATUS_NAMES,
        "error": error,
        "draft": draft,
        "max_answer": MAX_ANSWER_CHARS,
    }


def _back(request: web.Request, handoff: Handoff) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(request.app.router["conversation"].url_for(id=str(handoff.id)))


@routes.post("/conversations/{id}/claim", name="claim")
@allow(Role.ADMIN, Role.STAFF)
async def claim(request: web.Request) -> web.Response:
    """Take the conversation; refused when another staff member has it."""
    handoff = await _handoff(request)
    staff, deps = current_staff(request), console(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        taken = await SqlHandoffs(session).claim(handoff.id, staff.id, now)
        if taken:
            await _audit(session, staff, "claim", handoff, now)
    if not taken:
        return await _taken_by_another(request)
    raise _back(request, handoff)


@routes.post("/conversations/{id}/release", name="release")
@allow(Role.ADMIN, Role.STAFF)
async def release(request: web.Request) -> web.Response:
    """Give the conversation back to the queue for a colleague."""
    handoff = await _handoff(request)
    staff, deps = current_staff(request), console(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        if await SqlHandoffs(session).release(handoff.id, staff.id, now):
            await _audit(session, staff, "release", handoff, now)
    raise _back(request, handoff)


@routes.post("/conversations/{id}/reply", name="reply")
@allow(Role.ADMIN, Role.STAFF)
async def reply(request: web.Request) -> web.Response:
    """Send an answer to the citizen on their app; only the staff member who claimed it may."""
    handoff = await _handoff(request)
    staff, deps = current_staff(request), console(request)
    _ = gettext(request)
    form = await request.post()
    text = str(form.get("text", "")).replace("\x00", "").strip()
    error = None
    if not text:
        error = _("Write an answer first.")
    elif len(text) > MAX_ANSWER_CHARS:
        error = _("The answer is too long: at most {count} characters.").format(
            count=MAX_ANSWER_CHARS
        )
    if error is None:
        now = deps.clock.now()
        async with deps.database.transaction() as session:
            sent = await handoffs.answer(session, handoff, staff, text, now)
            if sent is not None:
                await _audit(session, staff, "reply", handoff, now)
        if sent is not None:
            deps.wake_outbox()
            raise _back(request, handoff)
        error = _("Claim the conversation before answering.")
    context = await _conversation(request, error=error, draft=text)
    return render(request, "conversation.html", context, status=400)


@routes.post("/conversations/{id}/close", name="close")
@allow(Role.ADMIN, Role.STAFF)
async def close(request: web.Request) -> web.Response:
    """End the conversation: the citizen is told, and the assistant answers again."""
    handoff = await _handoff(request)
    staff, deps = current_staff(request), console(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        closed = await handoffs.close_by_staff(session, handoff, staff, now)
        if closed:
            await _audit(session, staff, "close", handoff, now)
    if not closed:
        return await _taken_by_another(request)
    deps.wake_outbox()
    raise web.HTTPSeeOther(request.app.router["conversations"].url_for())


async def _taken_by_another(request: web.Request) -> web.Response:
    """The conversation page again, saying why the claim or close did nothing (409)."""
    _ = gettext(request)
    context = await _conversation(
        request, error=_("Another staff member is answering this conversation.")
    )
    return render(request, "conversation.html", context, status=409)


async def _audit(
    session: AsyncSession, staff: Staff, action: str, handoff: Handoff, now: datetime
) -> None:
    """Append a staff action on a handed-over conversation to the audit log."""
    await SqlStaff(session).audit(
        staff, action, now, target=f"handoff:{handoff.id}", commune=handoff.commune
    )
