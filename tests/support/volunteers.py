"""The digital-technology group in tests: a coordinator's console session over HTTP, and
members approved the way the console does it, for tests about what members may do."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp

from bot.app import App
from bot.storage.volunteers import SqlVolunteers
from dialogs.step import Membership

COORDINATOR = "dieu.phoi@xa.vn"
PASSWORD = "mật khẩu đủ dài 2026"


def hidden(html: str, name: str) -> str:
    """The value of the hidden input ``name`` in a console page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in:\n{html[:2000]}"
    return found.group(1)


class ConsoleSession:
    """A staff member signed in to the served console, as a browser without JavaScript."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def sign_in(self, email: str, password: str = PASSWORD) -> str:
        """Fill in the sign-in form; the path signing in landed on."""
        async with self.http.get(f"{self.base}/console/login") as page:
            token = hidden(await page.text(), "login_token")
        form = {"email": email, "password": password, "login_token": token}
        async with self.http.post(f"{self.base}/console/login", data=form) as landed:
            assert landed.status == 200, landed.status
            return landed.url.path

    async def page(self, path: str) -> tuple[int, str]:
        """GET a console page: its status and HTML."""
        async with self.http.get(f"{self.base}{path}", allow_redirects=False) as got:
            return got.status, await got.text()

    async def decide(self, name: str, decision: str) -> int:
        """Press ``decision`` (approve, reject, revoke) on the row of ``name``; the status."""
        _status, html = await self.page("/console/volunteers")
        row = next(r for r in html.split("<tr>") if name in r)
        action = re.search(rf'action="(/console/volunteers/\d+/{decision})"', row)
        assert action, f"no {decision} for {name} in:\n{row}"
        form = {"csrf": hidden(html, "csrf")}
        async with self.http.post(
            f"{self.base}{action.group(1)}", data=form, allow_redirects=False
        ) as done:
            return done.status


@asynccontextmanager
async def console_session(app: App) -> AsyncIterator[ConsoleSession]:
    """A cookie jar of its own on the served app's console."""
    assert app.settings.public_url is not None
    session = ConsoleSession(app.settings.public_url)
    try:
        yield session
    finally:
        await session.http.close()


async def approve_requests(app: App) -> int:
    """Approve every request waiting, as a coordinator's "Approve" does; how many."""
    now = app.console.clock.now()
    async with app.database.transaction() as session:
        volunteers = SqlVolunteers(session)
        waiting = [v for v in await volunteers.listed(100) if v.status is Membership.PENDING]
        for volunteer in waiting:
            await volunteers.decide(volunteer.id, "approve", COORDINATOR, now)
    return len(waiting)
