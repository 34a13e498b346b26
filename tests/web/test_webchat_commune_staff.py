"""The commune a citizen chose in the chat decides whose staff answer them and whose desk their
answer cards show: the announcements' choice and the console's handoff are one setting."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from webchat_support import Client, identity

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.handoffs import CommuneInfo, SqlCommuneInfo, SqlHandoffs
from dialogs.messages import ConversationRef

BA_DINH = "00004"  # Phường Ba Đình, Hà Nội


@pytest.fixture
async def real(settings: Settings) -> AsyncIterator[tuple[App, Client]]:
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as client,
    ):
        yield app, client


async def _say(client: Client, **body: Any) -> list[dict[str, Any]]:
    response = await client.post("/api/chat", json={"locale": "vi", **body})
    assert response.status == 200, await response.text()
    replies: list[dict[str, Any]] = (await response.json())["replies"]
    return replies


def _payload(replies: list[dict[str, Any]], label: str) -> str:
    [found] = [b["payload"] for r in replies for b in r["buttons"] if b["label"] == label]
    return str(found)


async def _choose_ba_dinh(client: Client) -> list[dict[str, Any]]:
    replies = await _say(client, text="menu")
    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    replies = await _say(client, text="phuong ba dinh")
    return await _say(client, button=_payload(replies, "Đúng, nơi tôi ở"))


async def test_the_chosen_communes_staff_get_the_question(real: tuple[App, Client]) -> None:
    app, client = real
    await _choose_ba_dinh(client)
    replies = await _say(client, text="menu")
    await _say(client, button=_payload(replies, "Hỏi cán bộ"))
    await _say(client, text="Xin hỏi thứ 7 có làm việc không?")
    async with app.database.transaction() as session:
        handoff = await SqlHandoffs(session).open_for(ConversationRef("web", identity(client)))
    assert handoff is not None and handoff.commune == BA_DINH


async def test_the_chosen_communes_desk_is_added_to_answers(real: tuple[App, Client]) -> None:
    app, client = real
    async with app.database.transaction() as session:
        desk = CommuneInfo(
            BA_DINH, "Số 1 Đội Cấn", "024 3823 0000", "12345", "07:30", "17:00", "", ""
        )
        await SqlCommuneInfo(session).save(desk, app.console.clock.now())
    before = await _say(client, button="proc:1.014061")  # Cấp thẻ căn cước, cấp xã
    assert not any("Số 1 Đội Cấn" in reply["text"] for reply in before)
    await _choose_ba_dinh(client)
    after = await _say(client, button="proc:1.014061")
    assert any("Số 1 Đội Cấn" in reply["text"] for reply in after)
