"""A whole conversation over Zalo on the real stack: composition root, dispatcher, dialogs,
knowledge base and Babel catalogs, with only the Zalo platform faked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.zalo import FakeZalo, SentMessage
from support.apps import serving, zalo_env
from support.citizens import ZaloCitizen

from bot.app import App
from integrations.zalo import WEBHOOK_PATH
from knowledge.base import LocalKnowledgeBase

USER = "2468458835296197922"


@pytest.fixture
async def app(zalo: FakeZalo, knowledge: LocalKnowledgeBase, tmp_path: Path) -> AsyncIterator[App]:
    """The application as ``motcua serve`` builds it, with Zalo configured to use the fake."""
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **zalo_env(zalo)}
    async with serving(env, knowledge=knowledge, clock=zalo.clock) as built:
        zalo.webhook_url = f"{built.settings.public_url}{WEBHOOK_PATH}"
        yield built


@pytest.fixture
def chat(zalo: FakeZalo, app: App) -> ZaloCitizen:
    """The citizen's side of the conversation."""
    return ZaloCitizen(zalo, app, USER)


def titles(message: SentMessage) -> list[str]:
    """The button titles under a message."""
    return [button["title"] for button in message.buttons]


async def test_ask_about_a_procedure_and_walk_its_checklist(
    zalo: FakeZalo, app: App, chat: ZaloCitizen
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

    await chat.tap("Xem giấy tờ cần chuẩn bị")
    [first] = await chat.tap("Thông thường, không thuộc trường hợp nào")
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


async def test_a_digit_picks_an_option_from_the_numbered_list(chat: ZaloCitizen) -> None:
    await chat.follow()
    [staff] = await chat.say("6")  # "Hỏi cán bộ", shown only in the numbered list
    assert "câu hỏi gửi cán bộ" in staff.text


async def test_a_redelivered_question_is_answered_once(zalo: FakeZalo, chat: ZaloCitizen) -> None:
    await chat.follow()
    event = zalo.text_event(USER, "lam cccd")
    delivery = await zalo.emit(event, times=2)
    assert delivery.statuses == [200, 200]
    await chat.channel.join()
    answers = zalo.sent_to(USER)[1:]
    assert len(answers) == 1
