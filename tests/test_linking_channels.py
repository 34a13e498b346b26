"""One citizen on Zalo and Telegram, end to end: both platforms faked, everything else real.

The checklist started on Zalo is continued on Telegram after a one-time code got on Zalo is
typed on Telegram, and from then on both apps move through the same checklist.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from support.apps import serving, telegram_env, zalo_env
from support.citizens import TelegramCitizen, ZaloCitizen, text_of

from bot.app import App
from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from knowledge.base import LocalKnowledgeBase

ZALO_USER = "2468458835296197922"
CODE = re.compile(r"Mã: (\d{3} \d{3}) — dùng trong 10 phút, chỉ một lần\.")


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def app(
    zalo: FakeZalo, telegram: FakeTelegram, knowledge: LocalKnowledgeBase, tmp_path: Path
) -> AsyncIterator[App]:
    """The application as ``motcua serve`` builds it, with Zalo and Telegram on their fakes."""
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **zalo_env(zalo), **telegram_env(telegram)}
    async with serving(env, knowledge=knowledge, clock=zalo.clock) as built:
        zalo.webhook_url = f"{built.settings.public_url}{ZALO_WEBHOOK}"
        yield built


async def test_a_checklist_started_on_zalo_continues_on_telegram(
    zalo: FakeZalo, telegram: FakeTelegram, app: App
) -> None:
    on_zalo, on_telegram = ZaloCitizen(zalo, app, ZALO_USER), TelegramCitizen(telegram, app)
    await on_zalo.say("dang ky khai sinh")
    await on_zalo.tap("Đăng ký khai sinh")
    await on_zalo.tap("Xem giấy tờ cần chuẩn bị")
    await on_zalo.tap("Thông thường, không thuộc trường hợp nào")
    second = text_of(await on_zalo.tap("Có rồi"))
    found = re.search(r"Giấy tờ 2/(\d+):\n(.+)", second)
    assert found, second
    total, document = found.groups()

    assert "Lấy mã liên kết" in text_of(await on_zalo.say("liên kết"))
    shown = CODE.search(text_of(await on_zalo.tap("Lấy mã liên kết")))
    assert shown, "the code is shown on the app that asked for it"

    await on_telegram.say("/link")
    assert "Gõ mã 6 chữ số" in text_of(await on_telegram.tap("Nhập mã"))
    assert "Xong!" in text_of(await on_telegram.say(shown.group(1)))
    await on_telegram.tap("Kiểm tra giấy tờ")
    resumed = text_of(await on_telegram.tap(f"Đăng ký khai sinh (xong 1/{total})"))
    assert "Chào mừng bạn quay lại!" in resumed
    assert f"Giấy tờ 2/{total}:\n{document}" in resumed

    assert f"Giấy tờ 3/{total}:" in text_of(await on_telegram.tap("Có rồi"))
    await on_zalo.say("menu")
    await on_zalo.tap("Kiểm tra giấy tờ")
    assert f"Giấy tờ 3/{total}:" in text_of(
        await on_zalo.tap(f"Đăng ký khai sinh (xong 2/{total})")
    )
    assert {d.status for d in telegram.deliveries} == {200}
