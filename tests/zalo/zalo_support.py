"""Helpers for the Zalo tests: a secret store, a recording handler and the bot under test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from fakes.zalo import FakeZalo

from dialogs.messages import IncomingMessage, Reply
from integrations.zalo import WEBHOOK_PATH, ZaloChannel


class MemorySecretStore:
    """A secret store that survives a "restart" because tests hand the same object on."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value


class RecordingHandler:
    """A message handler that records what it gets and answers with ``respond``.

    Set ``gate`` to hold every call until the test opens it.
    """

    def __init__(self, respond: Callable[[IncomingMessage], Sequence[Reply]] | None = None) -> None:
        self.received: list[IncomingMessage] = []
        self.respond = respond or (lambda m: [Reply(f"echo: {m.text or m.payload}")])
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def __call__(self, message: IncomingMessage) -> Sequence[Reply]:
        self.received.append(message)
        self.started.set()
        if self.gate is not None:
            await self.gate.wait()
        return list(self.respond(message))


@asynccontextmanager
async def running_bot(
    zalo: FakeZalo,
    handler: Callable[[IncomingMessage], Any],
    store: Any,
    tokens: tuple[str, str] | None = None,
    **options: Any,
) -> AsyncIterator[ZaloChannel]:
    """The Zalo channel mounted in an aiohttp server, pointed at the fake, webhook registered."""
    access, refresh = tokens or zalo.issue_tokens()
    settings: dict[str, Any] = {
        "api_url": zalo.api_url,
        "oauth_url": zalo.oauth_url,
        "clock": zalo.clock,
        "retry_backoff": 0.001,
    }
    channel = ZaloChannel(
        app_id=zalo.app_id,
        oa_secret=zalo.oa_secret,
        app_secret=zalo.app_secret,
        access_token=access,
        refresh_token=refresh,
        handler=handler,
        secrets=store,
        **(settings | options),
    )
    app = web.Application()
    app.add_routes(channel.routes())
    server = TestServer(app, host="127.0.0.1")
    async with channel:
        await server.start_server()
        zalo.webhook_url = str(server.make_url(WEBHOOK_PATH))
        try:
            yield channel
        finally:
            await server.close()
