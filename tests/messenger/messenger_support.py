"""Helpers for the Messenger tests: credentials, fixture bodies, a recording handler, a server."""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from fakes.messenger import FakeGraphApi, ManualClock

from dialogs.messages import IncomingMessage, Reply
from dialogs.ports import MessageHandler, SecretStore
from integrations.messenger import WEBHOOK_PATH, MessengerAdapter

PAGE_TOKEN = "EAAGtestpagetoken"
APP_SECRET = "b3f1c0ffee5ecret"
VERIFY_TOKEN = "motcua-verify"
FIXTURES = Path(__file__).parent / "fixtures"

Answer = Callable[[IncomingMessage], Sequence[Reply] | Awaitable[Sequence[Reply]]]


def fixture_body(name: str) -> bytes:
    """A captured-style webhook body, ASCII-escaped as Meta sends it."""
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return json.dumps(data, ensure_ascii=True).encode()


class MemoryStore:
    """A dict behind the SecretStore port (the adapter's durable window storage)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value


@dataclass
class Recorder:
    """A small message handler: records what arrives and answers with ``answer``."""

    answer: Answer = lambda message: ()
    received: list[IncomingMessage] = field(default_factory=list)

    async def __call__(self, message: IncomingMessage) -> Sequence[Reply]:
        self.received.append(message)
        replies = self.answer(message)
        return await replies if inspect.isawaitable(replies) else replies


@dataclass
class Harness:
    """The fake Graph API, the adapter under test and the handler it calls."""

    graph: FakeGraphApi
    adapter: MessengerAdapter
    handler: Recorder
    clock: ManualClock
    store: MemoryStore

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
