"""Commune announcements in the console: compose, preview per app, send or schedule, cancel,
follow the progress live and read the delivery report.

What staff typed is checked by ``bot.announcements.compose`` (the check ``motcua announce``
uses too): every reason is shown beside its field, what was typed is kept, nothing is stored.
Staff address their own communes; admins any commune or a whole province. Staff see the
announcements addressing one of their communes, and cancel only those addressing theirs alone.
Times are shown and entered in Vietnam time.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.announcements.compose import MAX_IMAGE_BYTES, MAX_TEXT, Author, Draft, Refused, compose
from bot.announcements.store import Announcement, Cancel, Delivery, SqlAnnouncements, State
from bot.announcements.wording import announcement_message
from bot.console import previews
from bot.console.auth import accepts_upload, allow, scope
from bot.console.context import N_, commune_label, console, current_staff, gettext, render
from bot.console.conversations import CHANNEL_NAMES
from bot.handoffs import VIETNAM
from bot.storage.staff import Role, SqlStaff, Staff
from knowledge.communes import units

routes = web.RouteTableDef()

LISTED = 100
"""Announcements on the list page, newest first."""

FORM_BYTES = MAX_IMAGE_BYTES + 256 * 1024
"""The compose form's body: a picture at compose's limit plus the texts and the form's parts.
A picture a little over the limit is still read, so its reason is shown on the kept form."""

MAX_AUDITED_COMMUNES = 10
"""An announcement to at most this many communes is logged once per commune (each commune's
staff see it in their audit log); a wider one once, for admins."""

STATES = {
    State.SCHEDULED: N_("Scheduled"),
    State.SENDING: N_("Sending"),
    State.DONE: N_("Sent"),
    State.CANCELLED: N_("Cancelled"),
}

OUTCOMES = {
    Delivery.QUEUED: N_("Queued"),
    Delivery.SENT: N_("Delivered"),
    Delivery.FAILED: N_("Failed"),
    Delivery.UNREACHABLE: N_("Unreachable (messaging window closed)"),
    Delivery.BLOCKED: N_("Blocked the bot or left"),
}

CANCEL_REFUSED = {
    Cancel.STARTED: N_("Sending has already begun; it can no longer be cancelled."),
    Cancel.FINISHED: N_("It has already been sent."),
    Cancel.ALREADY: N_("It was already cancelled."),
}

TIME_PATTERNS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M")
"""What the date-and-time field sends (to the minute or second), or what staff type without it;
always Vietnam time."""


def _visible(staff: Staff, announcement: Announcement) -> bool:
    return staff.role is Role.ADMIN or any(
        staff.serves(f"{code:05d}") for code in announcement.communes
    )


def _cancellable_by(staff: Staff, announcement: Announcement) -> bool:
    """Staff cancel only what addresses their communes alone: not another commune's news."""
    return staff.role is Role.ADMIN or all(
        staff.serves(f"{code:05d}") for code in announcement.communes
    )


async def _announcement(request: web.Request) -> Announcement:
    """The announcement in the URL, if this staff member may see it (else 404 or 403)."""
    wanted = request.match_info["id"]
    if not wanted.isdigit() or len(wanted) > 18:
        raise web.HTTPNotFound()
    async with console(request).database.transaction() as session:
        found = await SqlAnnouncements(session).get(int(wanted))
    if found is None:
        raise web.HTTPNotFound()
    if not _visible(current_staff(request), found):
        raise web.HTTPForbidden(text="another commune's announcement")
    return found


@routes.get("/announcements", name="announcements")
@allow(Role.ADMIN, Role.STAFF)
async def listed(request: web.Request) -> web.Response:
    """Scheduled and past announcements this staff member may see, newest first."""
    staff = current_staff(request)
    served = scope(staff)
    async with console(request).database.transaction() as session:
        found = await SqlAnnouncements(session).list(
            None if served is None else [int(code) for code in served], LISTED
        )
    return render(
        request, "announcements.html", {"announcements": found, "states": STATES, "names": _names}
    )


@routes.get("/announcements/new", name="new_announcement")
@allow(Role.ADMIN, Role.STAFF)
async def new(request: web.Request) -> web.Response:
    """An empty compose form, sending now, to the staff member's communes."""
    staff = current_staff(request)
    values = {
        "text_vi": "",
        "text_en": "",
        "link": "",
        "communes": list(staff.communes),
        "typed_communes": "",
        "province": "",
        "when": "now",
        "send_at": "",
        "image": "",
    }
    return _form(request, values, {})


def _form(
    request: web.Request,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
    previewed: Sequence[previews.ChannelPreview] = (),
) -> web.Response:
    staff = current_staff(request)
    context = {
        "values": values,
        "errors": errors,
        "own": [(code, commune_label(code)) for code in staff.communes],
        "admin": staff.role is Role.ADMIN,
        "provinces": units.provinces() if staff.role is Role.ADMIN else (),
        "max_text": MAX_TEXT,
        "max_image_kb": MAX_IMAGE_BYTES // 1024,
        "previews": previewed,
    }
    return render(request, "announcement_new.html", context, status)


def _names(codes: Sequence[int]) -> str:
    """An announcement's communes, short: the first few by name, then how many more."""
    shown = [commune_label(f"{code:05d}") for code in codes[:3]]
    return ", ".join(shown) + (f" +{len(codes) - 3}" if len(codes) > 3 else "")


@routes.post("/announcements/new", name="post_announcement")
@allow(Role.ADMIN, Role.STAFF)
@accepts_upload(FORM_BYTES)
async def post(request: web.Request) -> web.Response:
    """Preview the announcement, or send or schedule it; refused drafts store nothing."""
    _ = gettext(request)
    staff, deps = current_staff(request), console(request)
    form = await request.post()
    values, image, errors = _read(form, _)
    draft = Draft(
        text_vi=values["text_vi"],
        text_en=values["text_en"] or None,
        image=image,
        link=values["link"] or None,
        communes=[*values["communes"], *values["typed_communes"].replace(";", ",").split(",")],
        provinces=[values["province"]] if values["province"] else [],
        send_at=_when(values, errors, _),
    )
    now = deps.clock.now()
    try:
        composed = compose(draft, Author.of(staff), now, _)
    except Refused as refused:
        errors = {**refused.reasons, **errors}
    if errors:
        return _form(request, values, errors, status=400)
    if form.get("action") != "send":
        shown = _previews(
            request,
            composed.text_vi,
            composed.link,
            composed.image is not None,
            composed.communes[0],
        )
        return _form(request, values, {}, previewed=shown)
    async with deps.database.transaction() as session:
        created = await SqlAnnouncements(session).create(composed, Author.of(staff), now)
        await _audit(session, staff, "announcement_create", created, now)
    if created.send_at <= now:
        deps.wake_announcements()
    raise web.HTTPSeeOther(request.app.router["announcement"].url_for(id=str(created.id)))


def _read(
    form: MultiDictProxy[Any], _: Callable[[str], str]
) -> tuple[dict[str, Any], bytes | None, dict[str, str]]:
    """The form as typed, the picture (uploaded now, or kept from the preview) and what the
    form itself got wrong (a picture that is not a file)."""
    values: dict[str, Any] = {
        key: str(form.get(key, "")).replace("\x00", "").strip()
        for key in ("text_vi", "text_en", "link", "typed_communes", "province", "when", "send_at")
    }
    values["communes"] = [str(code) for code in form.getall("communes", [])]
    errors: dict[str, str] = {}
    upload = form.get("image")
    image: bytes | None = None
    if isinstance(upload, web.FileField):
        with upload.file:  # a spooled temporary file: closed once read
            image = upload.file.read() or None
    # After a preview the picture travels in the form; the file field then comes empty.
    if image is None and form.get("image_kept"):
        try:
            image = base64.b64decode(str(form["image_kept"]), validate=True) or None
        except (binascii.Error, ValueError):
            errors["image"] = _("Choose the picture again.")
    values["image"] = base64.b64encode(image).decode() if image is not None else ""
    return values, image, errors


def _when(
    values: dict[str, Any], errors: dict[str, str], _: Callable[[str], str]
) -> datetime | None:
    """The sending time: None for now, else the typed Vietnam time as an aware time."""
    if values["when"] != "later":
        values["when"] = "now"
        return None
    for pattern in TIME_PATTERNS:
        try:
            return datetime.strptime(values["send_at"], pattern).replace(tzinfo=VIETNAM)
        except ValueError:
            continue
    errors["send_at"] = _("Enter a date and time such as 24/12/2026 08:00.")
    return None


def _previews(
    request: web.Request,
    text: str,
    link: str | None,
    picture: bool,
    commune: int,
) -> list[previews.ChannelPreview]:
    """The announcement as each app shows it to a Vietnamese reader of ``commune``: the
    picture's button opens it where the server serves it once sent."""
    _ = gettext(request)
    replies = announcement_message(_, text, commune, picture_url="" if picture else None, link=link)
    limits = console(request).message_limits()
    return previews.of(replies, limits, CHANNEL_NAMES, _)


@routes.get("/announcements/{id}", name="announcement")
@allow(Role.ADMIN, Role.STAFF)
async def announcement(request: web.Request) -> web.Response:
    """One announcement: what was sent, to whom, and its progress, refreshed live."""
    return render(request, "announcement.html", await _detail(request, error=None))


@routes.get("/announcements/{id}/progress", name="announcement_progress")
@allow(Role.ADMIN, Role.STAFF)
async def progress(request: web.Request) -> web.Response:
    """The progress bars and counts alone, fetched every few seconds by the page."""
    return render(request, "_progress.html", await _progress(request, await _announcement(request)))


@routes.get("/announcements/{id}/image", name="announcement_image")
@allow(Role.ADMIN, Role.STAFF)
async def image(request: web.Request) -> web.Response:
    """The announcement's picture, as citizens receive it."""
    found = await _announcement(request)
    async with console(request).database.transaction() as session:
        picture = await SqlAnnouncements(session).image(found.id)
    if picture is None:
        raise web.HTTPNotFound()
    data, kind = picture
    return web.Response(body=data, content_type=kind, headers={"X-Content-Type-Options": "nosniff"})


async def _progress(request: web.Request, found: Announcement) -> dict[str, Any]:
    """The announcement's state and its deliveries' counts, per app and over every app."""
    async with console(request).database.transaction() as session:
        counts = await SqlAnnouncements(session).progress(found.id)
    _ = gettext(request)
    channels = [
        {
            "name": _(CHANNEL_NAMES.get(channel, channel)),
            "total": sum(states.values()),
            "done": sum(n for state, n in states.items() if state is not Delivery.QUEUED),
            "counts": [(OUTCOMES[state], state.value, states.get(state, 0)) for state in Delivery],
        }
        for channel, states in sorted(counts.by_channel.items())
    ]
    return {
        "announcement": found,
        # With the progress, refreshed with it: rendered once, the button stayed on a page
        # whose sending had begun, a second after the "send now" that opened it.
        "cancellable": found.state is State.SCHEDULED
        and _cancellable_by(current_staff(request), found),
        "states": STATES,
        "channels": channels,
        "total": counts.total(),
        "totals": [(OUTCOMES[state], state.value, counts.total(state)) for state in Delivery],
    }


async def _detail(request: web.Request, *, error: str | None) -> dict[str, Any]:
    found = await _announcement(request)
    return {
        **await _progress(request, found),
        "previews": _previews(
            request, found.text_vi, found.link, found.image_type is not None, found.communes[0]
        ),
        "names": _names,
        "error": error,
    }


@routes.post("/announcements/{id}/cancel", name="cancel_announcement")
@allow(Role.ADMIN, Role.STAFF)
async def cancel(request: web.Request) -> web.Response:
    """Cancel an announcement whose sending has not begun."""
    found = await _announcement(request)
    staff, deps = current_staff(request), console(request)
    if not _cancellable_by(staff, found):
        raise web.HTTPForbidden(text="another commune's announcement")
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        outcome = await SqlAnnouncements(session).cancel(found.id, now)
        if outcome is Cancel.CANCELLED:
            await _audit(session, staff, "announcement_cancel", found, now)
    if outcome is Cancel.CANCELLED:
        raise web.HTTPSeeOther(request.app.router["announcement"].url_for(id=str(found.id)))
    error = gettext(request)(CANCEL_REFUSED.get(outcome, CANCEL_REFUSED[Cancel.FINISHED]))
    return render(request, "announcement.html", await _detail(request, error=error), status=409)


async def _audit(
    session: AsyncSession, staff: Staff, action: str, announcement: Announcement, now: datetime
) -> None:
    """Log a staff action on an announcement where each addressed commune's staff see it."""
    target = f"announcement:{announcement.id}"
    communes: Sequence[str | None] = [f"{code:05d}" for code in announcement.communes]
    if len(communes) > MAX_AUDITED_COMMUNES:
        communes = [None]
    for commune in communes:
        await SqlStaff(session).audit(staff, action, now, target=target, commune=commune)
