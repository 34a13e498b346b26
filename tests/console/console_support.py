"""Helpers for console tests: accounts through the real CLI, sign-in, form tokens."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient, TestServer

from bot.cli import main

Client = TestClient[web.Request, web.Application]

PASSWORD = "mật khẩu đủ dài 2026"


def field(html: str, name: str) -> str:
    """The value of the hidden input ``name`` in a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} field in:\n{html[:2000]}"
    return found.group(1)


class Staffing:
    """Adds accounts with ``motcua staff add`` and signs clients in on the test server."""

    def __init__(self, server: TestServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.server = server
        self._monkeypatch = monkeypatch

    async def add(self, *args: str, password: str = PASSWORD) -> int:
        """Run ``motcua staff add ARGS`` with the password on standard input."""
        self._monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
        return await asyncio.to_thread(main, ["staff", "add", *args])

    @asynccontextmanager
    async def signed_in_nobody(self) -> AsyncIterator[Client]:
        """A client of its own, not signed in."""
        async with TestClient(self.server) as client:
            yield client

    @asynccontextmanager
    async def signed_in(self, email: str, password: str = PASSWORD) -> AsyncIterator[Client]:
        """A client of its own (own cookies) signed in as ``email``."""
        async with TestClient(self.server) as client:
            response = await login(client, email, password)
            assert response.status == 200 and response.url.path == "/console/", response.status
            yield client


async def login(client: Client, email: str, password: str) -> ClientResponse:
    """Fill in and send the sign-in form; the response after redirects."""
    page = await client.get("/console/login")
    token = field(await page.text(), "login_token")
    return await client.post(
        "/console/login", data={"email": email, "password": password, "login_token": token}
    )


async def csrf(client: Client, path: str = "/console/") -> str:
    """The session's form token, read from a page as a browser would."""
    page = await client.get(path)
    assert page.status == 200, page.status
    return field(await page.text(), "csrf")
