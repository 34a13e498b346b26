"""Hostile and broken messages through the web chat on the whole real stack.

Each one gets a calm reply (or a 4xx before anything runs), the server keeps answering, and a
checklist the citizen had half done is exactly where it was afterwards.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from webchat_support import Client, identity

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.conversations import SqlConversations
from dialogs.messages import ConversationRef

BIRTH = "1.001193"


@pytest_asyncio.fixture(loop_scope="session")
async def real_app(settings: Settings) -> AsyncIterator[App]:
    """The composed app with the shipped knowledge base, dialogs and catalogs."""
    async with build_app(settings) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session")
async def real_client(real_app: App) -> AsyncIterator[Client]:
    """An HTTP client for the real app's server."""
    async with TestClient(TestServer(web_application(real_app))) as test_client:
        yield test_client


async def say(client: Client, **fields: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post("/api/chat", json=fields)
    return response.status, await response.json()


async def stored_checklists(app: App, client: Client) -> dict[str, Any]:
    async with app.database.transaction() as session:
        stored = await SqlConversations(session).load(ConversationRef("web", identity(client)))
    assert stored is not None
    return dict(stored.state.get("checklists", {}))


HOSTILE_TEXTS = [
    "\u200b",  # invisible only
    "😀😀😀🙏",
    "<script>alert('x')</script>",
    "'; DROP TABLE conversations; --",
    "\x00\x01\x02\x1b[31m\x7f",
    "\ufffd\ufffd\ufffd binary \udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
    "a" * 3000,
    "<img src=x onerror=alert(1)> dang ky ket hon",
]


async def test_hostile_messages_get_calm_replies_and_keep_the_checklist(
    real_client: Client, real_app: App, caplog: pytest.LogCaptureFixture
) -> None:
    status, _ = await say(real_client, button=f"proc:{BIRTH}")
    assert status == 200
    status, _ = await say(real_client, button=f"cl:go:{BIRTH}")
    assert status == 200
    status, body = await say(real_client, button=f"cl:case:{BIRTH}:u")
    assert status == 200
    have = next(
        b["payload"]
        for r in body["replies"]
        for b in r["buttons"]
        if (b["payload"] or "").startswith("cl:have:")
    )
    await say(real_client, button=have)
    before = await stored_checklists(real_app, real_client)
    assert BIRTH in before

    for text in HOSTILE_TEXTS:
        status, body = await say(real_client, text=text)
        assert status in (200, 400), text
        if status == 200:
            assert body["replies"], text
            assert all(r["text"].strip() for r in body["replies"]), text
            assert not any("<script" in r["text"] for r in body["replies"])
    for payload in ("nonsense:payload", "cl:have:9.999999", "proc:" + "9" * 40, have):
        status, body = await say(real_client, button=payload)
        assert status == 200
        assert body["replies"]

    after = await stored_checklists(real_app, real_client)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]  # no dialog failed
    assert after[BIRTH]["at"] == before[BIRTH]["at"] == 1
    assert after[BIRTH]["docs"] == before[BIRTH]["docs"]


async def test_oversized_and_malformed_bodies_are_refused_before_any_turn(
    real_client: Client, real_app: App
) -> None:
    await say(real_client, text="dang ky khai sinh")
    user = identity(real_client)
    async with real_app.database.transaction() as session:
        before = await SqlConversations(session).load(ConversationRef("web", user))

    huge = json.dumps({"text": "x" * 100_000})
    for body in (huge, "{not json", "\x00\x01binary", json.dumps({"text": None})):
        response = await real_client.post(
            "/api/chat", data=body, headers={"Content-Type": "application/json"}
        )
        assert 400 <= response.status < 500
        assert "error" in await response.json()

    async with real_app.database.transaction() as session:
        after = await SqlConversations(session).load(ConversationRef("web", user))
    assert before is not None and after is not None
    assert after.version == before.version
    assert after.state == before.state
