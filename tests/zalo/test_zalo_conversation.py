"""A whole conversation over Zalo on the real stack: composition root, dispatcher, dialogs,
knowledge base and Babel catalogs, with only the Zalo platform faked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from fakes.zalo import FakeZalo, SentMessage

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.schema import ensure_schema
from integrations.zalo import WEBHOOK_PATH, ZaloChannel
from knowledge.base import LocalKnowledgeBase

USER = "2468458835296197922"


@pytest.fixture(scope="module")
def knowledge() -> LocalKnowledgeBase:
    """The shipped knowledge base, read once for this module."""
    return LocalKnowledgeBase.load()


@pytest.fixture
async def app(zalo: FakeZalo, knowledge: LocalKnowledgeBase, tmp_path: Path) -> AsyncIterator[App]:
    """The application as ``motcua serve`` builds it, with Zalo configured to use the fake."""
    access, refresh = zalo.issue_tokens()
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_ZALO_APP_ID": zalo.app_id,
            "MOTCUA_ZALO_OA_SECRET": zalo.oa_secret,
            "MOTCUA_ZALO_APP_SECRET": zalo.app_secret,
            "MOTCUA_ZALO_ACCESS_TOKEN": access,
            "MOTCUA_ZALO_REFRESH_TOKEN": refresh,
            "MOTCUA_ZALO_API_URL": zalo.api_url,
            "MOTCUA_ZALO_OAUTH_URL": zalo.oauth_url,
        }
    )
    await ensure_schema(settings.database_url)
    async with build_app(settings, knowledge=knowledge, clock=zalo.clock) as built:
        server = TestServer(web_application(built), host="127.0.0.1")
        await server.start_server()
        zalo.webhook_url = str(server.make_url(WEBHOOK_PATH))
        try:
            yield built
        finally:
            await server.close()


class Chat:
    """One citizen talking to the OA through the fake platform, turn by turn."""

    def __init__(self, zalo: FakeZalo, channel: ZaloChannel, user: str) -> None:
        self.zalo = zalo
        self.channel = channel
        self.user = user

    async def follow(self) -> list[SentMessage]:
        """Follow the OA; the messages it answers with."""
        return await self._turn(self.zalo.event("follow", self.user))

    async def say(self, text: str) -> list[SentMessage]:
        """Type a message; the messages the OA answers with."""
        return await self._turn(self.zalo.text_event(self.user, text))

    async def tap(self, title: str) -> list[SentMessage]:
        """Tap a button under the OA's latest message; the messages it answers with."""
        return await self._turn(self.zalo.tap_event(self.user, title))

    async def _turn(self, event: dict[str, Any]) -> list[SentMessage]:
        before = len(self.zalo.sent)
        delivery = await self.zalo.emit(event)
        assert delivery.statuses == [200]
        await self.channel.join()  # the turn is queued before the 200; wait until it is answered
        return self.zalo.sent[before:]


@pytest.fixture
def chat(zalo: FakeZalo, app: App) -> Chat:
    """The citizen's side of the conversation."""
    channel = app.channels["zalo"]
    assert isinstance(channel, ZaloChannel)
    return Chat(zalo, channel, USER)


def titles(message: SentMessage) -> list[str]:
    """The button titles under a message."""
    return [button["title"] for button in message.buttons]


async def test_ask_about_a_procedure_and_walk_its_checklist(
    zalo: FakeZalo, app: App, chat: Chat
) -> None:
    [welcome] = await chat.follow()
    assert "Hỏi về thủ tục" in titles(welcome)
    assert len(welcome.buttons) == 5  # the menu's seven options, five as buttons...
    assert "6. Hỏi cán bộ" in welcome.text  # ...and all of them as a numbered list

    [variants] = await chat.say("dang ky khai sinh")
    assert "Đăng ký khai sinh" in titles(variants)

    [card] = await chat.tap("Đăng ký khai sinh")
    assert "Mã thủ tục: 1.001193" in card.text
    assert "Xem giấy tờ cần chuẩn bị" in titles(card)
    link = next(b for b in card.buttons if b["type"] == "oa.open.url")
    assert link["payload"]["url"].startswith("https://dichvucong.gov.vn/")

    [first] = await chat.tap("Xem giấy tờ cần chuẩn bị")
    progress = re.search(r"\b1/(\d+)", first.text)
    assert progress, first.text
    total = progress.group(1)
    assert titles(first)[:2] == ["Có rồi", "Chưa có"]

    [second] = await chat.tap("Có rồi")
    assert f"2/{total}" in second.text

    [paused] = await chat.tap("Tạm dừng")
    assert "Nhắc tôi ngày mai" in titles(paused)
    assert await chat.tap("Nhắc tôi ngày mai")

    # A day later the reminder goes out proactively over Zalo, with a way back in.
    zalo.clock.advance(days=1, hours=1)
    before = len(zalo.sent)
    assert await app.reminders.run_once() == 1
    [reminder] = zalo.sent[before:]
    assert reminder.user_id == USER
    assert "Thủ tục đăng ký khai sinh" in reminder.text
    [resumed] = await chat.tap("Làm tiếp")
    assert f"2/{total}" in resumed.text

    assert all(len(m.text) <= 2000 and len(m.buttons) <= 5 for m in zalo.sent)
    # The configured token's lifetime is unknown, so it was renewed when a day later Zalo said it
    # had expired; nothing else was refused.
    assert zalo.rejected == [-220]
    assert zalo.refreshes == 1


async def test_a_digit_picks_an_option_from_the_numbered_list(chat: Chat) -> None:
    await chat.follow()
    [staff] = await chat.say("6")  # "Hỏi cán bộ", shown only in the numbered list
    assert "câu hỏi gửi cán bộ" in staff.text


async def test_a_redelivered_question_is_answered_once(zalo: FakeZalo, chat: Chat) -> None:
    await chat.follow()
    event = zalo.text_event(USER, "lam cccd")
    delivery = await zalo.emit(event, times=2)
    assert delivery.statuses == [200, 200]
    await chat.channel.join()
    answers = zalo.sent_to(USER)[1:]
    assert len(answers) == 1
