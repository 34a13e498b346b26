"""Helpers for the Messenger tests: credentials, fixture bodies, the harness and a server."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from fakes.messenger import FakeGraphApi
from support.clock import ManualClock
from support.handlers import RecordingHandler
from support.secret_store import MemorySecrets

from dialogs.ports import MessageHandler, SecretStore
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
