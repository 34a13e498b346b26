"""Who a web-chat visitor is: a random identity the server issues, signed, in a cookie.

Whoever knew a conversation's id could once read it, and the page chose its own id. Now the
server makes the id (192 random bits) and hands it out only in an HttpOnly, SameSite=Strict
cookie signed with the server key: scripts cannot read it, other sites cannot send it, it is
never in a URL or a body, and a cookie whose signature does not check out is replaced by a new
identity rather than believed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web

COOKIE = "motcua_id"
MAX_AGE = 400 * 24 * 3600
"""Seconds a browser keeps the identity: the most browsers allow (400 days)."""

_ID_BYTES = 24
_ID = re.compile(r"[A-Za-z0-9_-]{32}")


class Identities:
    """Issues and checks web-chat identities with a key only the server knows."""

    def __init__(self, server_key: Callable[[], Awaitable[bytes]], *, secure: bool) -> None:
        """Keep where the key comes from; ``secure`` marks the cookie HTTPS-only.

        The key is the server's, kept in the database (so every worker checks every other's
        cookies); it is fetched on first use, so the server starts even while the database is
        down, and kept from then on.
        """
        self._server_key = server_key
        self._key: bytes | None = None
        self._fetching = asyncio.Lock()
        self._secure = secure

    async def read(self, request: web.Request) -> str | None:
        """The identity the request's cookie proves, or None (no cookie, or a forged one)."""
        user, _, signature = request.cookies.get(COOKIE, "").partition(".")
        if _ID.fullmatch(user) and hmac.compare_digest(
            signature.encode("utf-8", "replace"), (await self._sign(user)).encode()
        ):
            return user
        return None

    @staticmethod
    def new() -> str:
        """A fresh identity, to be handed out with :meth:`hand_out`."""
        return secrets.token_urlsafe(_ID_BYTES)

    async def hand_out(self, response: web.StreamResponse, user: str) -> None:
        """Set ``user`` as the response's identity cookie."""
        response.set_cookie(
            COOKIE,
            f"{user}.{await self._sign(user)}",
            max_age=MAX_AGE,
            path="/",
            httponly=True,
            samesite="Strict",
            secure=self._secure,
        )

    async def _sign(self, user: str) -> str:
        if self._key is None:
            async with self._fetching:
                if self._key is None:
                    key = await self._server_key()
                    self._key = hmac.new(key, b"web-chat identity", hashlib.sha256).digest()
        digest = hmac.new(self._key, user.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
