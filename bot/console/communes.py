"""Local information per commune: the one-stop desk's address, hours, phone, map and notes.

The assistant adds it to its answers for citizens of that commune, and the opening hours say
when a handed-over conversation will be answered. Staff edit their own communes'; admins any.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.console.accounts import COMMUNE_CODE
from bot.console.auth import allow, ensure_serves, scope
from bot.console.context import N_, console, current_staff, gettext, render
from bot.handoffs import OpeningHours
from bot.storage.handoffs import CommuneInfo, SqlCommuneInfo
from bot.storage.staff import Role, SqlStaff

routes = web.RouteTableDef()

DAYS = (
    ("1", N_("Monday")),
    ("2", N_("Tuesday")),
    ("3", N_("Wednesday")),
    ("4", N_("Thursday")),
    ("5", N_("Friday")),
    ("6", N_("Saturday")),
    ("7", N_("Sunday")),
)
PHONE = re.compile(r"^[0-9+() .\-]{6,64}$")
LIMITS = {"address": 500, "map_url": 500, "notes": 2000}
HH_MM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _code(request: web.Request) -> str:
    code = request.match_info["code"]
    if not COMMUNE_CODE.match(code):
        raise web.HTTPNotFound()
    ensure_serves(current_staff(request), code)
    return code


@routes.get("/communes", name="communes")
@allow(Role.ADMIN, Role.STAFF)
async def communes(request: web.Request) -> web.Response:
    """The communes this staff member serves and what each has entered."""
    staff = current_staff(request)
    async with console(request).database.transaction() as session:
        entered = {
            info.commune: info for info in await SqlCommuneInfo(session).listed(scope(staff))
        }
    codes = sorted(set(entered) | set(staff.communes))
    error = None
    wanted = request.query.get("code")
    if wanted is not None:
        if COMMUNE_CODE.match(wanted.strip()):
            raise web.HTTPSeeOther(request.app.router["commune"].url_for(code=wanted.strip()))
        error = gettext(request)("A commune code has five digits, such as 00004.")
    return render(
        request,
        "communes.html",
        {"codes": codes, "entered": entered, "error": error, "wanted": wanted or ""},
        status=400 if error else 200,
    )


@routes.get("/communes/{code}", name="commune")
@allow(Role.ADMIN, Role.STAFF)
async def commune(request: web.Request) -> web.Response:
    """The form for one commune, filled with what it has (or the usual office hours)."""
    code = _code(request)
    async with console(request).database.transaction() as session:
        info = await SqlCommuneInfo(session).get(code)
    hours = OpeningHours.of(info)
    values = {
        "address": info.address if info else "",
        "phone": info.phone if info else "",
        "days": hours.days,
        "opens": hours.opens,
        "closes": hours.closes,
        "map_url": info.map_url if info else "",
        "notes": info.notes if info else "",
    }
    return _form(request, code, values, {})


def _form(
    request: web.Request,
    code: str,
    values: dict[str, str],
    errors: dict[str, str],
    status: int = 200,
    saved: bool = False,
) -> web.Response:
    _ = gettext(request)
    context: dict[str, Any] = {
        "code": code,
        "values": values,
        "errors": {key: _(message) for key, message in errors.items()},
        "days": DAYS,
        "saved": saved or request.query.get("saved") == "1",
    }
    return render(request, "commune.html", context, status)


def info_errors(values: dict[str, str]) -> dict[str, str]:
    """What is wrong with a commune's information, by field (English message ids)."""
    errors: dict[str, str] = {}
    for key, limit in LIMITS.items():
        if len(values[key]) > limit:
            errors[key] = N_("This is too long.")
    if values["phone"] and not PHONE.match(values["phone"]):
        errors["phone"] = N_("Enter a phone number such as 0243 123 4567.")
    if values["map_url"] and (
        urlsplit(values["map_url"]).scheme != "https" or not urlsplit(values["map_url"]).netloc
    ):
        errors["map_url"] = N_("Enter a map link that starts with https://.")
    if not values["days"]:
        errors["days"] = N_("Choose at least one day.")
    if not HH_MM.match(values["opens"]):
        errors["opens"] = N_("Enter a time such as 07:30.")
    if not HH_MM.match(values["closes"]):
        errors["closes"] = N_("Enter a time such as 17:00.")
    elif "opens" not in errors and time.fromisoformat(values["closes"]) <= time.fromisoformat(
        values["opens"]
    ):
        errors["closes"] = N_("The office must close after it opens.")
    return errors


@routes.post("/communes/{code}", name="save_commune")
@allow(Role.ADMIN, Role.STAFF)
async def save(request: web.Request) -> web.Response:
    """Save the commune's information; errors are shown beside their fields, nothing saved."""
    code = _code(request)
    form = await request.post()
    values = {
        key: str(form.get(key, "")).replace("\x00", "").strip()
        for key in ("address", "phone", "opens", "closes", "map_url", "notes")
    }
    chosen = {str(day) for day in form.getall("days", [])}
    values["days"] = "".join(day for day, _label in DAYS if day in chosen)
    errors = info_errors(values)
    if errors:
        return _form(request, code, values, errors, status=400)
    deps, staff = console(request), current_staff(request)
    now = deps.clock.now()
    async with deps.database.transaction() as session:
        await SqlCommuneInfo(session).save(
            CommuneInfo(
                code,
                values["address"],
                values["phone"],
                values["days"],
                values["opens"],
                values["closes"],
                values["map_url"],
                values["notes"],
            ),
            now,
        )
        await SqlStaff(session).audit(
            staff, "commune_save", now, target=f"commune:{code}", commune=code
        )
    raise web.HTTPSeeOther(request.app.router["commune"].url_for(code=code).with_query(saved="1"))
