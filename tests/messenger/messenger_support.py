"""Helpers for the Messenger tests: credentials, fixture bodies, the harness and a server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from fakes.messenger import FakeGraphApi, SentMessage
from support.apps import serving
from support.clock import ManualClock
from support.handlers import RecordingHandler
from support.secret_store import MemorySecrets

from bot.app import App
from dialogs.ports import KnowledgeBase, MessageHandler, SecretStore
from integrations.messenger import WEBHOOK_PATH, MessengerAdapter

PAGE_TOKEN = "EAAGtestpagetoken"
APP_SECRET = "b3f1c0ffee5ecret"
VERIFY_TOKEN = "motcua-verify"
FIXTURES = Path(__file__).parent / "fixtures"


def fixture_body(name: str) -> bytes:
    """A captured-style webhook body, ASCII-escaped as Meta sends it."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return json.dumps(data, ensure_ascii=True).encode()


@dataclass
class Harness:
    """The fake Graph API, the adapter under test and the handler it calls."""

    graph: FakeGraphApi
    adapter: MessengerAdapter
    handler: RecordingHandler
    clock: ManualClock
    store: MemorySecrets

    async def deliver(self, events: list[dict[str, Any]], **options: Any) -> int:
        """Deliver events through the real webhook and wait for the adapter's work."""
        status = await self.graph.deliver(events, **options)
        await self.adapter.drain()
        return status


AdapterFactory = Callable[[MessageHandler, SecretStore], MessengerAdapter]


async def serve(adapter: MessengerAdapter) -> tuple[web.AppRunner, str]:
    """Mount the adapter's routes on a real local port; returns the runner and webhook URL."""
    app = web.Application()
    app.add_routes(adapter.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"


USER = "6543210987654321"


@dataclass
class Citizen:
    """One person chatting with the page through Meta's webhook."""

    graph: FakeGraphApi
    adapter: MessengerAdapter
    app: App

    async def say(self, text: str) -> list[SentMessage]:
        return await self._deliver(self.graph.text(USER, text))

    async def upload(self, data: bytes, kind: str = "image") -> list[SentMessage]:
        """Send ``data`` as an image (or ``kind`` "file") attachment."""
        return await self._deliver(self.graph.upload(USER, data, kind))

    async def tap(self, payload: str) -> list[SentMessage]:
        """Tap the quick reply with this payload in the page's last message."""
        (title,) = [
            q["title"]
            for q in self.graph.messages_to(USER)[-1].quick_replies
            if q["payload"] == payload
        ]
        return await self._deliver(self.graph.quick_reply(USER, title, payload))

    async def _deliver(self, event: dict[str, object], twice: bool = False) -> list[SentMessage]:
        before = len(self.graph.sent)
        assert await self.graph.deliver([event], twice=twice) == 200
        await self.adapter.drain()
        return self.graph.sent[before:]


def messenger_env(tmp_path: Path, graph: FakeGraphApi) -> dict[str, str]:
    """The app's settings with Messenger pointed at the fake, on a SQLite file."""
    return {
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
        "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
        "MOTCUA_MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
        "MOTCUA_MESSENGER_API_URL": graph.api_url,
    }


@asynccontextmanager
async def running(
    env: dict[str, str], graph: FakeGraphApi, clock: ManualClock, knowledge: KnowledgeBase
) -> AsyncIterator[Citizen]:
    """The composed app serving on a local port, with Meta's webhook aimed at it."""
    async with serving(env, knowledge=knowledge, clock=clock) as app:
        adapter = app.channels["messenger"]
        assert isinstance(adapter, MessengerAdapter)
        graph.webhook_url = f"{app.settings.public_url}{WEBHOOK_PATH}"
        yield Citizen(graph, adapter, app)
