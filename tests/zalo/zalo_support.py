"""Helpers for the Zalo tests: the bot under test, served and pointed at the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from fakes.zalo import FakeZalo

from dialogs.messages import IncomingMessage
from integrations.ordering import MemoryInbox
from integrations.zalo import WEBHOOK_PATH, ZaloChannel


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
        inbox=MemoryInbox(handler),
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
