"""A whole conversation over Telegram on the real stack: composition root, dispatcher, dialogs,
knowledge base and Babel catalogs, with only the Telegram Bot API faked."""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fakes.telegram import TOKEN, FakeTelegram, FakeUser, SentMessage

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.schema import ensure_schema
from integrations.telegram import WEBHOOK_PATH, TelegramChannel
from knowledge.base import LocalKnowledgeBase


class ManualClock:
    """The time, moved by the test."""

    def __init__(self) -> None:
        self.current = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current


@pytest.fixture(scope="module")
def knowledge() -> LocalKnowledgeBase:
    """The shipped knowledge base, read once for this module."""
    return LocalKnowledgeBase.load()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bound socket, so the public URL is known before the app is built."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def app(
    telegram: FakeTelegram,
    knowledge: LocalKnowledgeBase,
    clock: ManualClock,
    listener: socket.socket,
    tmp_path: Path,
) -> AsyncIterator[App]:
    """The application as ``motcua serve`` builds it, Telegram in webhook mode on the fake."""
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{listener.getsockname()[1]}",
        }
    )
    await ensure_schema(settings.database_url)
    async with build_app(settings, knowledge=knowledge, clock=clock) as built:
        runner = web.AppRunner(web_application(built), handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, listener).start()
        try:
            yield built
        finally:
            await runner.cleanup()


class Chat:
    """One citizen talking to the bot through the fake platform, turn by turn."""

    def __init__(self, telegram: FakeTelegram, channel: TelegramChannel, user: FakeUser) -> None:
        self.telegram = telegram
        self.channel = channel
        self.user = user

    async def say(self, text: str) -> list[SentMessage]:
        """Type a message; the messages the bot answers with."""
        return await self._turn(lambda: self.user.send(text))

    async def tap(self, label: str) -> list[SentMessage]:
        """Tap a button under the bot's latest message that has it."""
        message = next(m for m in reversed(self.user.messages) if label in m.labels)
        return await self._turn(lambda: self.user.press(message, label))

    async def _turn(self, act: Callable[[], dict[str, Any]]) -> list[SentMessage]:
        """Do ``act``, wait until the bot has acknowledged and answered it; what it sent."""
        before = len(self.user.messages)
        update_id = act()["update_id"]
        await self.telegram.wait_for(
            lambda: any(d.update_id == update_id for d in self.telegram.deliveries)
        )
        await self.channel.join()
        return self.user.messages[before:]


@pytest.fixture
def chat(app: App, telegram: FakeTelegram) -> Chat:
    channel = app.channels["telegram"]
    assert isinstance(channel, TelegramChannel)
    return Chat(telegram, channel, telegram.user())


async def test_ask_about_a_procedure_walk_its_checklist_and_get_reminded(
    telegram: FakeTelegram, app: App, chat: Chat, clock: ManualClock, listener: socket.socket
) -> None:
    assert telegram.webhook is not None
    assert telegram.webhook.url.endswith(f":{listener.getsockname()[1]}{WEBHOOK_PATH}")

    welcome = await chat.say("/start")
    assert welcome and welcome[-1].buttons, "a new user is greeted with the menu"

    [variants] = await chat.say("dang ky khai sinh")
    assert "Đăng ký khai sinh" in variants.labels

    [card] = await chat.tap("Đăng ký khai sinh")
    assert "Mã thủ tục: 1.001193" in card.text
    link = next(b for b in card.buttons if "url" in b)
    assert link["url"].startswith("https://dichvucong.gov.vn/")

    [first] = await chat.tap("Xem giấy tờ cần chuẩn bị")
    progress = re.search(r"\b1/(\d+)", first.text)
    assert progress, first.text
    total = progress.group(1)
    [second] = await chat.tap("Có rồi")
    assert f"2/{total}" in second.text
    [paused] = await chat.tap("Tạm dừng")
    assert "Nhắc tôi ngày mai" in paused.labels
    assert await chat.tap("Nhắc tôi ngày mai")

    # A day later the reminder goes out proactively over Telegram, with a way back in.
    clock.current += timedelta(days=1, hours=1)
    before = len(chat.user.messages)
    assert await app.reminders.run_once() == 1
    [reminder] = chat.user.messages[before:]
    assert "Thủ tục đăng ký khai sinh" in reminder.text
    [resumed] = await chat.tap("Làm tiếp")
    assert f"2/{total}" in resumed.text

    assert len(telegram.answered) == 6  # every button press was answered
    assert {d.status for d in telegram.deliveries} == {200}
    assert all(len(m.text) <= 4096 for m in telegram.sent)
    data = [b["callback_data"] for m in telegram.sent for b in m.buttons if "callback_data" in b]
    assert all(1 <= len(d.encode()) <= 64 for d in data)


async def test_a_redelivered_question_is_answered_once(telegram: FakeTelegram, chat: Chat) -> None:
    await chat.say("/start")
    before = len(chat.user.messages)
    update = chat.user.send("lam cccd")
    telegram.redeliver(update)
    await telegram.wait_for(
        lambda: [d.update_id for d in telegram.deliveries].count(update["update_id"]) == 2
    )
    await chat.channel.join()
    assert len(chat.user.messages) == before + 1
