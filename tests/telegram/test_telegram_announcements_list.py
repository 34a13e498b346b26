"""On Telegram, through its webhook on the real stack: a citizen who chose their commune by
typing it finds its latest announcements under "Thông báo của xã", in English where staff wrote
it for a citizen who chose English, and pages to older ones with a button."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.telegram import FakeTelegram
from support.announcements import published
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen, text_of
from support.clock import ManualClock

from bot.app import App
from bot.news import PAGE
from knowledge.base import LocalKnowledgeBase

BA_DINH = 4


@pytest.fixture
async def app(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[App]:
    """``motcua serve`` with Telegram in webhook mode on the fake."""
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **telegram_env(telegram)}
    knowledge = LocalKnowledgeBase.load()
    async with serving(env, knowledge=knowledge, clock=ManualClock()) as built:
        yield built


async def test_a_telegram_citizen_reads_the_communes_announcements(
    app: App, telegram: FakeTelegram
) -> None:
    now = app.console.clock.now()
    for age in range(PAGE + 1):
        await published(
            app.database,
            BA_DINH,
            f"Thông báo số {age}",
            now - timedelta(hours=age + 1),
            text_en=f"Notice number {age}",
        )
    citizen = TelegramCitizen(telegram, app)
    await citizen.say("/start")
    await citizen.tap("Thông báo của xã")
    await citizen.say("phuong ba dinh")
    await citizen.tap("Đúng, nơi tôi ở")

    listed = await citizen.tap("Thông báo của xã")
    said = text_of(listed)
    assert "Thông báo của Phường Ba Đình, Hà Nội, mới nhất trước:" in said
    assert said.index("Thông báo số 0") < said.index("Thông báo số 1")
    assert f"Thông báo số {PAGE}" not in said
    older = text_of(await citizen.tap("Xem thêm thông báo cũ hơn"))
    assert f"Thông báo số {PAGE}" in older and "Thông báo số 0" not in older

    await citizen.say("menu")
    await citizen.tap("Ngôn ngữ / Language")
    await citizen.tap("English")
    in_english = text_of(await citizen.tap("Commune announcements"))
    assert "Notice number 0" in in_english and "Thông báo số 0" not in in_english
