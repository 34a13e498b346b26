"""A whole conversation over Telegram on the real stack: composition root, dispatcher, dialogs,
knowledge base and Babel catalogs, with only the Telegram Bot API faked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.telegram import FakeTelegram
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen
from support.clock import ManualClock

from bot.app import App
from integrations.telegram import WEBHOOK_PATH
from knowledge.base import LocalKnowledgeBase


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def app(
    telegram: FakeTelegram, knowledge: LocalKnowledgeBase, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[App]:
    """The application as ``motcua serve`` builds it, Telegram in webhook mode on the fake."""
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **telegram_env(telegram)}
    async with serving(env, knowledge=knowledge, clock=clock) as built:
        yield built


@pytest.fixture
def chat(app: App, telegram: FakeTelegram) -> TelegramCitizen:
    return TelegramCitizen(telegram, app)


async def test_ask_about_a_procedure_walk_its_checklist_and_get_reminded(
    telegram: FakeTelegram, app: App, chat: TelegramCitizen, clock: ManualClock
) -> None:
    assert telegram.webhook is not None
    assert telegram.webhook.url == f"{app.settings.public_url}{WEBHOOK_PATH}"

    welcome = await chat.say("/start")
    assert welcome and welcome[-1].buttons, "a new user is greeted with the menu"

    [variants] = await chat.say("dang ky khai sinh")
    assert "Đăng ký khai sinh" in variants.labels

    [card] = await chat.tap("Đăng ký khai sinh")
    assert "Mã thủ tục: 1.001193" in card.text
    link = next(b for b in card.buttons if "url" in b)
    assert link["url"].startswith("https://dichvucong.gov.vn/")

    await chat.tap("Xem giấy tờ cần chuẩn bị")
    [first] = await chat.tap("Thông thường, không thuộc trường hợp nào")
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

    assert len(telegram.answered) == 7  # every button press was answered
    assert {d.status for d in telegram.deliveries} == {200}
    assert all(len(m.text) <= 4096 for m in telegram.sent)
    data = [b["callback_data"] for m in telegram.sent for b in m.buttons if "callback_data" in b]
    assert all(1 <= len(d.encode()) <= 64 for d in data)


async def test_a_redelivered_question_is_answered_once(
    telegram: FakeTelegram, chat: TelegramCitizen
) -> None:
    await chat.say("/start")
    before = len(chat.user.messages)
    update = chat.user.send("lam cccd")
    telegram.redeliver(update)
    await telegram.wait_for(
        lambda: [d.update_id for d in telegram.deliveries].count(update["update_id"]) == 2
    )
    await chat.channel.join()
    assert len(chat.user.messages) == before + 1
