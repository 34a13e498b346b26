"""What every console page shares: its dependencies, the signed-in staff member, rendering."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bot.knowledge_updates.service import KnowledgeUpdates
from bot.storage.database import Database
from bot.storage.staff import Role, Staff
from dialogs.ports import Clock, KnowledgeBase, RateLimiter, Translator
from integrations.client_address import Networks
from integrations.render import Capabilities
from knowledge.communes import units

LOCALES = ("vi", "en")
"""The console's languages; the first is the default."""

LOCALE_COOKIE = "motcua_console_lang"


def N_(message: str) -> str:
    """Mark a message id for pybabel; it is translated where it is shown."""
    return message


def commune_label(code: str) -> str:
    """A commune's code with its name ("00004 (Phường Ba Đình, Hà Nội)"): staff serving
    several communes, and admins serving all, do not know them by number."""
    unit = units.commune(int(code)) if code.isdigit() else None
    return code if unit is None else f"{code} ({unit.label})"


@dataclass(frozen=True)
class Console:
    """The console's dependencies, built by ``bot.app``."""

    database: Database
    clock: Clock
    translator: Callable[[str], Translator]
    knowledge: KnowledgeBase
    knowledge_updates: KnowledgeUpdates
    """Portal data imported from the console and put in force on every worker."""
    limiter: RateLimiter
    wake_outbox: Callable[[], None]
    """Tells the outbox a staff answer is due now."""
    secure_cookies: bool
    session_ttl: timedelta
    wake_announcements: Callable[[], None]
    """Tells the announcement sender one is due now."""
    message_limits: Callable[[], Mapping[str, Capabilities | None]]
    """Each app's message limits by channel name (None: no limit), for the announcement
    previews; a function, so a platform's SDK is loaded only when a preview needs it."""
    trusted_proxies: Networks = ()
    """Reverse proxies whose ``X-Forwarded-For`` names the client (for sign-in limits)."""


CONSOLE = web.AppKey("console", Console)
STAFF = web.RequestKey("staff", Staff)
"""The signed-in staff member, set by the authentication middleware."""
FORM_TOKEN = web.RequestKey("csrf", str)
"""The session's form (CSRF) token, written into every form."""


def console(request: web.Request) -> Console:
    """The console's dependencies, from the request's (sub-)application."""
    return request.config_dict[CONSOLE]


def current_staff(request: web.Request) -> Staff:
    """The signed-in staff member (the authentication middleware has checked there is one)."""
    staff = request.get(STAFF)
    if not isinstance(staff, Staff):
        raise web.HTTPFound(request.app.router["login"].url_for())
    return staff


def locale_of(request: web.Request) -> str:
    """The language the staff member chose, Vietnamese by default."""
    chosen = request.cookies.get(LOCALE_COOKIE, "")
    return chosen if chosen in LOCALES else LOCALES[0]


def gettext(request: web.Request) -> Callable[[str], str]:
    """The request's translation function."""
    return console(request).translator(locale_of(request)).gettext


def render(
    request: web.Request, template: str, context: Mapping[str, Any], status: int = 200
) -> web.Response:
    """A page from ``template`` with what every page needs (``_``, staff, form token, menu)."""
    locale = locale_of(request)
    translator = console(request).translator(locale)
    staff = request.get(STAFF)
    full = {
        "_": translator.gettext,
        "locale": locale,
        "other_locale": LOCALES[1] if locale == LOCALES[0] else LOCALES[0],
        "staff": staff,
        "csrf": request.get(FORM_TOKEN, ""),
        "menu": menu(request, staff) if isinstance(staff, Staff) else [],
        "path": request.path,
        "url": request.app.router,
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, full, status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True, slots=True)
class MenuEntry:
    """One link of the console's menu, shown to the roles it lists."""

    route: str
    label: str
    roles: tuple[Role, ...] = (Role.ADMIN, Role.STAFF)


MENU: list[MenuEntry] = [
    MenuEntry("conversations", N_("Conversations")),
    MenuEntry("dossiers", N_("Dossiers")),
    MenuEntry("communes", N_("Local information")),
    MenuEntry("announcements", N_("Announcements")),
    MenuEntry("learn", N_("Questions to review")),
    MenuEntry("analytics", N_("Analytics")),
    MenuEntry("knowledge", N_("Knowledge base")),
    MenuEntry("kb_import", N_("Import portal data"), (Role.ADMIN,)),
    MenuEntry("volunteers", N_("Digital-technology group"), (Role.ADMIN, Role.COORDINATOR)),
    MenuEntry("audit", N_("Audit log")),
    MenuEntry("accounts", N_("Accounts"), (Role.ADMIN,)),
]
"""The console's sections in menu order; a page module adds its own entry here."""


def menu(request: web.Request, staff: Staff) -> list[dict[str, Any]]:
    """The menu entries this staff member may open, with their URLs."""
    _ = gettext(request)
    return [
        {
            "label": _(entry.label),
            "href": str(request.app.router[entry.route].url_for()),
            "current": request.match_info.route.name == entry.route,
        }
        for entry in MENU
        if staff.role in entry.roles
    ]
