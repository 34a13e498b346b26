"""One citizen on Zalo and Telegram, end to end: both platforms faked, everything else real.

The checklist started on Zalo is continued on Telegram after a one-time code got on Zalo is
typed on Telegram, and from then on both apps move through the same checklist.
"""

from __future__ import annotations

import re
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from fakes.telegram import TOKEN, FakeTelegram
from fakes.telegram import SentMessage as TelegramMessage
from fakes.zalo import FakeClock, FakeZalo
from fakes.zalo import SentMessage as ZaloMessage

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.schema import ensure_schema
from integrations.telegram import TelegramChannel
from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from integrations.zalo import ZaloChannel
from knowledge.base import LocalKnowledgeBase

ZALO_USER = "2468458835296197922"
CODE = re.compile(r"Mã: (\d{3} \d{3}) — dùng trong 10 phút, chỉ một lần\.")


@pytest.fixture(scope="module")
def knowledge() -> LocalKnowledgeBase:
    """The shipped knowledge base, read once for this module."""
    return LocalKnowledgeBase.load()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=FakeClock()) as fake:
        yield fake


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A bound socket, so the public URL is known before the app is built."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


@pytest.fixture
async def app(
    zalo: FakeZalo,
    telegram: FakeTelegram,
    knowledge: LocalKnowledgeBase,
    listener: socket.socket,
    tmp_path: Path,
) -> AsyncIterator[App]:
    """The application as ``motcua serve`` builds it, with Zalo and Telegram on their fakes."""
    public_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    access, refresh = zalo.issue_tokens()
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_PUBLIC_URL": public_url,
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
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
        runner = web.AppRunner(web_application(built), handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, listener).start()
        zalo.webhook_url = public_url + ZALO_WEBHOOK
        try:
            yield built
        finally:
            await runner.cleanup()


class OnZalo:
    """The citizen's Zalo: each turn goes through the signed webhook and the OA's send API."""

    def __init__(self, zalo: FakeZalo, app: App) -> None:
        self.zalo = zalo
        channel = app.channels["zalo"]
        assert isinstance(channel, ZaloChannel)
        self.channel = channel

    async def say(self, text: str) -> str:
        return await self._turn(self.zalo.text_event(ZALO_USER, text))

    async def tap(self, title: str) -> str:
        return await self._turn(self.zalo.tap_event(ZALO_USER, title))

    async def _turn(self, event: dict[str, Any]) -> str:
        before = len(self.zalo.sent)
        assert (await self.zalo.emit(event)).statuses == [200]
        await self.channel.join()
        sent: list[ZaloMessage] = self.zalo.sent[before:]
        return "\n".join(message.text for message in sent)


class OnTelegram:
    """The citizen's Telegram: each turn is an update delivered to the webhook."""

    def __init__(self, telegram: FakeTelegram, app: App) -> None:
        self.telegram = telegram
        self.user = telegram.user()
        channel = app.channels["telegram"]
        assert isinstance(channel, TelegramChannel)
        self.channel = channel

    async def say(self, text: str) -> str:
        return await self._turn(self.user.send(text))

    async def tap(self, label: str) -> str:
        message = next(m for m in reversed(self.user.messages) if label in m.labels)
        return await self._turn(self.user.press(message, label))

    async def _turn(self, update: dict[str, Any]) -> str:
        before = len(self.user.messages)
        await self.telegram.wait_for(
            lambda: any(d.update_id == update["update_id"] for d in self.telegram.deliveries)
        )
        await self.channel.join()
        sent: list[TelegramMessage] = self.user.messages[before:]
        return "\n".join(message.text for message in sent)


async def test_a_checklist_started_on_zalo_continues_on_telegram(
    zalo: FakeZalo, telegram: FakeTelegram, app: App
) -> None:
    on_zalo, on_telegram = OnZalo(zalo, app), OnTelegram(telegram, app)
    await on_zalo.say("dang ky khai sinh")
    await on_zalo.tap("Đăng ký khai sinh")
    await on_zalo.tap("Xem giấy tờ cần chuẩn bị")
    second = await on_zalo.tap("Có rồi")
    found = re.search(r"Giấy tờ 2/(\d+):\n(.+)", second)
    assert found, second
    total, document = found.groups()

    assert "Lấy mã liên kết" in await on_zalo.say("liên kết")
    shown = CODE.search(await on_zalo.tap("Lấy mã liên kết"))
    assert shown, "the code is shown on the app that asked for it"

    await on_telegram.say("/link")
    assert "Gõ mã 6 chữ số" in await on_telegram.tap("Nhập mã")
    assert "Xong!" in await on_telegram.say(shown.group(1))
    await on_telegram.tap("Kiểm tra giấy tờ")
    resumed = await on_telegram.tap(f"Đăng ký khai sinh (xong 1/{total})")
    assert "Chào mừng bạn quay lại!" in resumed
    assert f"Giấy tờ 2/{total}:\n{document}" in resumed

    assert f"Giấy tờ 3/{total}:" in await on_telegram.tap("Có rồi")
    await on_zalo.say("menu")
    await on_zalo.tap("Kiểm tra giấy tờ")
    assert f"Giấy tờ 3/{total}:" in await on_zalo.tap(f"Đăng ký khai sinh (xong 2/{total})")
    assert {d.status for d in telegram.deliveries} == {200}
