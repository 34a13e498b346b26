"""The console's aiohttp application, mounted by the server at ``/console``."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler

from bot.console import (
    accounts,
    announcements,
    audit,
    auth,
    communes,
    conversations,
    dossiers,
    volunteers,
)
from bot.console.context import CONSOLE, Console, commune_label, render
from bot.handoffs import VIETNAM
from bot.insights import pages as insights
from bot.knowledge_updates import pages as knowledge_import

PREFIX = "/console"
HERE = Path(__file__).parent
TEMPLATES = [
    HERE / "templates",
    Path(insights.__file__).parent / "templates",
    Path(knowledge_import.__file__).parent / "templates",
]
"""The console's own templates, then those of the sections other packages add."""

PAGES: list[web.RouteTableDef] = [
    auth.routes,
    conversations.routes,
    dossiers.routes,
    communes.routes,
    announcements.routes,
    insights.routes,
    knowledge_import.routes,
    volunteers.routes,
    accounts.routes,
    audit.routes,
]
"""Every page module's routes; a new section adds its module here and its ``MENU`` entry."""

_ERROR_PAGES = {403, 404, 405, 413}


@web.middleware
async def error_pages(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A refusal (403), a missing page (404), a body too large (413) is a page in the
    console's language, not bare text."""
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status not in _ERROR_PAGES:
            raise
        return render(request, "error.html", {"status": error.status}, status=error.status)


def vietnam_time(value: datetime, pattern: str = "%d/%m/%Y %H:%M") -> str:
    """A stored UTC time as staff read clocks: Vietnam time."""
    return value.astimezone(VIETNAM).strftime(pattern)


def console_application(deps: Console) -> web.Application:
    """The console with its templates (HTML-escaped always), static files and routes."""
    application = web.Application(middlewares=[error_pages, auth.authenticate])
    application[CONSOLE] = deps
    environment = aiohttp_jinja2.setup(
        application,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["vn"] = vietnam_time
    environment.filters["commune"] = commune_label
    application.router.add_static("/static", HERE / "static", name="static")
    for page in PAGES:
        application.add_routes(page)
    return application
