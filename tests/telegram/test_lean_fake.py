"""The throughput benchmark's lean fake delivers webhooks as Telegram does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from fakes.telegram import TOKEN

from bench.lean_telegram import LeanTelegram


class _Webhook:
    """A webhook that holds each update a moment and notes how many were in flight at once."""

    def __init__(self, expected: int) -> None:
        self.in_flight = 0
        self.most = 0
        self.received = 0
        self.expected = expected
        self.all_received = asyncio.Event()

    async def handle(self, _request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        await asyncio.sleep(0.05)
        self.in_flight -= 1
        self.received += 1
        if self.received == self.expected:
            self.all_received.set()
        return web.Response()


@pytest.fixture
async def webhook() -> AsyncIterator[tuple[_Webhook, str]]:
    hook = _Webhook(expected=10)
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield hook, f"http://{host}:{port}/hook"
    await runner.cleanup()


async def test_at_most_max_connections_updates_are_in_flight(
    webhook: tuple[_Webhook, str],
) -> None:
    hook, url = webhook
    async with LeanTelegram() as telegram, aiohttp.ClientSession() as session:
        async with session.post(
            f"{telegram.url}/bot{TOKEN}/setWebhook", json={"url": url, "max_connections": 3}
        ) as response:
            assert response.status == 200
        for n in range(10):
            telegram.user(7_000_001 + n).send("xin chào")
        await asyncio.wait_for(hook.all_received.wait(), 10)
    assert hook.most == 3  # ten chats, each with an update: three at a time, as Telegram
