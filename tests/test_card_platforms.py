"""A long answer card on each platform, through its webhook on the real stack with only the
platform faked: it comes in parts no longer than a phone screen, "Xem thêm (2/N)" continues it
to the end, the card's buttons work from its last part, and what matters is bold where the
platform has bold (Telegram's HTML, escaped) and plain text with no markup where it has none."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from fakes.messenger import FakeGraphApi
from fakes.messenger import SentMessage as MessengerMessage
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from support.apps import serving, telegram_env, zalo_env
from support.citizens import TelegramCitizen, ZaloCitizen
from support.clock import ManualClock

from bot.app import App
from dialogs.pages import PAGE_CHARS
from integrations import messenger
from integrations.messenger import MessengerAdapter
from integrations.messenger.format import MAX_TEXT as MESSENGER_MAX_TEXT
from integrations.zalo import WEBHOOK_PATH
from integrations.zalo.channel import CAPABILITIES as ZALO
from knowledge.base import LocalKnowledgeBase

# The residence registration card (a long fee note), renamed with the characters that break
# markup: the name must reach the citizen as it is, never as a refused message or a tag.
NAME = "Đăng ký tạm trú <nhà trọ> & ký túc xá"
USER = "2468458835296197922"
PSID = "6543210987654321"
PAGE_TOKEN, APP_SECRET = "EAAGtestpagetoken", "b3f1c0ffee5ecret"


@pytest.fixture(scope="module")
def knowledge() -> LocalKnowledgeBase:
    residence = LocalKnowledgeBase.load().get("1.004194")
    assert residence is not None
    return LocalKnowledgeBase((dataclasses.replace(residence, name=NAME),))


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo(clock=ManualClock()) as fake:
        yield fake


@pytest.fixture
async def graph(zalo: FakeZalo) -> AsyncIterator[FakeGraphApi]:
    async with FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=zalo.clock) as fake:
        yield fake


@pytest.fixture
async def app(
    telegram: FakeTelegram,
    zalo: FakeZalo,
    graph: FakeGraphApi,
    knowledge: LocalKnowledgeBase,
    tmp_path: Path,
) -> AsyncIterator[App]:
    env = {
        "MOTCUA_DATA_DIR": str(tmp_path),
        **telegram_env(telegram),
        **zalo_env(zalo),
        "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
        "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
        "MOTCUA_MESSENGER_VERIFY_TOKEN": "motcua-verify",
        "MOTCUA_MESSENGER_API_URL": graph.api_url,
    }
    async with serving(env, knowledge=knowledge, clock=zalo.clock) as built:
        zalo.webhook_url = f"{built.settings.public_url}{WEBHOOK_PATH}"
        graph.webhook_url = f"{built.settings.public_url}{messenger.WEBHOOK_PATH}"
        yield built


class Part:
    """One message of a platform, as the citizen sees it."""

    def __init__(self, text: str, labels: list[str]) -> None:
        self.text, self.labels = text, labels

    @property
    def more(self) -> str | None:
        return next((label for label in self.labels if label.startswith("Xem thêm (")), None)


async def read_card(
    say: Callable[[str], Awaitable[list[Part]]],
    tap: Callable[[str], Awaitable[list[Part]]],
    limit: int,
) -> list[Part]:
    """Ask for the card and press "Xem thêm" until it ends; every message it took, each
    within ``limit`` characters."""
    parts = await say("đăng ký tạm trú")
    assert parts[-1].more == f"Xem thêm (2/{parts[-1].more.split('/')[1]}"  # type: ignore[union-attr]
    while (label := parts[-1].more) is not None:
        number = int(label.removeprefix("Xem thêm (").split("/")[0])
        parts += await tap(label)
        assert parts[-1].more is None or parts[-1].more.startswith(f"Xem thêm ({number + 1}/")
    assert all(len(part.text) <= limit for part in parts)
    assert parts[0].text.startswith(NAME + "\nNơi thực hiện:")
    # The card's buttons stay to the end (Messenger cuts titles to 20 characters).
    assert any(label.startswith("Xem giấy tờ cần chu") for label in parts[-1].labels)
    return parts


async def test_telegram_pages_the_card_with_its_facts_in_bold(
    telegram: FakeTelegram, app: App
) -> None:
    citizen = TelegramCitizen(telegram, app)

    def seen(messages: list) -> list[Part]:  # type: ignore[type-arg]
        return [Part(m.text, m.labels) for m in messages]

    async def say(text: str) -> list[Part]:
        return seen(await citizen.say(text))

    async def tap(label: str) -> list[Part]:
        return seen(await citizen.tap(label))

    # A phone screen: Telegram shows every button, so no list of options is added to the text.
    parts = await read_card(say, tap, PAGE_CHARS)
    assert len(parts) > 1
    first = next(m for m in citizen.user.messages if m.text.startswith(NAME))
    assert first.json["entities"][0]["type"] == "bold"
    assert first.bold[:3] == [NAME, "Nơi thực hiện:", "Thời gian giải quyết:"]
    assert "Lệ phí:" in first.bold
    [checklist] = await citizen.tap("Xem giấy tờ cần chuẩn bị")
    assert checklist.text.startswith("Mình cùng xem từng giấy tờ nhé.")


async def test_zalo_pages_the_card_as_plain_text(zalo: FakeZalo, app: App) -> None:
    citizen = ZaloCitizen(zalo, app, USER)

    def seen(messages: list) -> list[Part]:  # type: ignore[type-arg]
        return [Part(m.text, [b["title"] for b in m.buttons]) for m in messages]

    async def say(text: str) -> list[Part]:
        return seen(await citizen.say(text))

    async def tap(label: str) -> list[Part]:
        return seen(await citizen.tap(label))

    # Zalo shows 5 buttons: the card's others are added to the text as a numbered list.
    parts = await read_card(say, tap, ZALO.max_text)
    assert len(parts) > 1
    whole = "\n".join(part.text for part in parts)
    assert "<b>" not in whole and "**" not in whole and "&amp;" not in whole
    [checklist, *_] = await citizen.tap("Xem giấy tờ cần chuẩn bị")
    assert checklist.text.startswith("Mình cùng xem từng giấy tờ nhé.")


async def test_messenger_pages_the_card_as_plain_text(graph: FakeGraphApi, app: App) -> None:
    adapter = app.channels["messenger"]
    assert isinstance(adapter, MessengerAdapter)

    async def deliver(event: dict[str, object]) -> list[Part]:
        before = len(graph.sent)
        assert await graph.deliver([event]) == 200
        await adapter.drain()
        return [seen(m) for m in graph.sent[before:]]

    def seen(message: MessengerMessage) -> Part:
        buttons = message.quick_replies or message.template_buttons
        return Part(message.text, [b["title"] for b in buttons])

    async def say(text: str) -> list[Part]:
        return await deliver(graph.text(PSID, text))

    async def tap(label: str) -> list[Part]:
        last = graph.messages_to(PSID)[-1]
        for reply in last.quick_replies:
            if reply["title"] == label:
                return await deliver(graph.quick_reply(PSID, label, reply["payload"]))
        [button] = [b for b in last.template_buttons if b["title"] == label]
        return await deliver(graph.postback(PSID, label, button["payload"]))

    parts = await read_card(say, tap, MESSENGER_MAX_TEXT)
    assert len(parts) > 1
    whole = "\n".join(part.text for part in parts)
    assert "<b>" not in whole and "**" not in whole and "&amp;" not in whole
    [checklist] = [label for label in parts[-1].labels if label.startswith("Xem giấy tờ")]
    [first, *_] = await tap(checklist)
    assert first.text.startswith("Mình cùng xem từng giấy tờ nhé.")  # the checklist begins
