"""The Telegram channel in long-polling mode, driving python-telegram-bot against the fake API."""

from __future__ import annotations

import logging

import pytest
from fakes.telegram import TOKEN, FakeTelegram
from telegram_support import (
    LONG_PAYLOAD,
    LONG_TEXT,
    ScriptedHandler,
    check_one_chat_in_order_while_others_go_ahead,
)

from dialogs.errors import ConfigurationError, RateLimited, RecipientUnavailable
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from integrations.ordering import MemoryInbox
from integrations.telegram import TelegramChannel


async def test_a_conversation_with_buttons_and_a_button_press(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an = telegram.user(first_name="An", language_code="vi")
    update = an.send("menu")
    await telegram.wait_for(lambda: len(an.messages) == 1)

    [menu] = an.messages
    assert menu.text == "Chọn thủ tục:"
    assert menu.buttons == [
        {"text": "Đăng ký khai sinh", "callback_data": "proc:1.001193"},
        {"text": "Cổng dịch vụ công", "url": "https://dichvucong.gov.vn"},
    ]
    first = handler.seen[0]
    assert first.ref == ConversationRef("telegram", str(an.id))
    assert first.text == "menu"
    assert first.locale == "vi"
    assert first.message_id == str(update["update_id"])
    assert first.received_at is not None

    press = an.press(menu, "Đăng ký khai sinh")
    await telegram.wait_for(lambda: len(an.messages) == 2)
    assert an.messages[1].text == "Bạn chọn: proc:1.001193"
    assert [a["callback_query_id"] for a in telegram.answered] == [press["callback_query"]["id"]]
    assert handler.seen[1].payload == "proc:1.001193"
    assert handler.seen[1].message_id == str(press["update_id"])


async def test_polling_starts_by_deleting_any_webhook_and_confirms_updates(
    polling: TelegramChannel, telegram: FakeTelegram
) -> None:
    an = telegram.user()
    an.send("xin chao")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    methods = [name for name, _ in telegram.calls]
    assert methods[:2] == ["getme", "deletewebhook"]
    assert "getupdates" in methods
    await telegram.wait_for(lambda: telegram.calls_of("getupdates")[-1].get("offset") is not None)
    assert polling.routes() == []


async def test_language_code_becomes_the_locale(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    bob = telegram.user(first_name="Bob", language_code="en")
    nameless = telegram.user(user_id=5_550_999, language_code=None)
    bob.send("hello")
    nameless.send("chao")
    await telegram.wait_for(lambda: len(bob.messages) == 1 and len(nameless.messages) == 1)
    locales = {m.ref.user_id: m.locale for m in handler.seen}
    assert locales == {str(bob.id): "en", str(nameless.id): None}


async def test_long_text_is_split_within_telegrams_limit(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an = telegram.user()
    an.send("dai")
    await telegram.wait_for(lambda: len(an.messages) == 3)
    texts = [m.text for m in an.messages]
    assert len(texts) == 3
    assert all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in texts)
    assert " ".join(texts).split() == LONG_TEXT.split()
    assert all(t.startswith("Mục") for t in texts)  # split between paragraphs


async def test_payloads_over_64_bytes_travel_as_short_tokens_and_come_back_whole(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    assert len(LONG_PAYLOAD.encode()) > 64
    an = telegram.user()
    an.send("nut dai")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    [button] = an.messages[0].buttons
    assert len(button["callback_data"].encode()) <= 64
    an.press(an.messages[0], "Đã có")
    await telegram.wait_for(lambda: len(an.messages) == 2)
    assert handler.seen[-1].payload == LONG_PAYLOAD


async def test_one_chat_in_order_while_other_chats_go_ahead(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    await check_one_chat_in_order_while_others_go_ahead(telegram, handler)


async def test_flood_reply_is_waited_out_and_the_message_delivered(
    polling: TelegramChannel, telegram: FakeTelegram
) -> None:
    an = telegram.user()
    telegram.flood(retry_after=1)
    an.send("xin chao")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    assert an.messages[0].text == "Đã nhận: xin chao"
    assert len(telegram.calls_of("sendMessage")) == 2


async def test_blocked_user_is_marked_unreachable_and_nothing_crashes(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an, binh = telegram.user(5_550_001), telegram.user(5_550_002, "Bình")
    telegram.blocked.add(an.id)  # blocked without the bot having been told yet
    an.send("xin chao")
    await telegram.wait_for(lambda: len(telegram.calls_of("sendMessage")) == 1)
    await polling.join()
    ref = ConversationRef("telegram", str(an.id))
    with pytest.raises(RecipientUnavailable):
        await polling.send(ref, [Reply("Nhắc lịch hẹn")])
    assert len(telegram.calls_of("sendMessage")) == 1  # known unreachable: not even tried

    binh.send("van chay chu?")  # the bot still serves everybody else
    await telegram.wait_for(lambda: len(binh.messages) == 1)


async def test_block_and_unblock_notices_are_followed(
    polling: TelegramChannel, telegram: FakeTelegram
) -> None:
    an = telegram.user()
    ref = ConversationRef("telegram", str(an.id))
    block = an.block()
    confirmed = str(block["update_id"] + 1)
    await telegram.wait_for(
        lambda: any(c.get("offset") == confirmed for c in telegram.calls_of("getUpdates"))
    )
    await polling.join()
    with pytest.raises(RecipientUnavailable):
        await polling.send(ref, [Reply("Nhắc lịch hẹn")])
    assert telegram.calls_of("sendMessage") == []
    an.unblock()
    an.send("toi quay lai")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    await polling.send(ref, [Reply("Nhắc lịch hẹn")])
    assert an.messages[-1].text == "Nhắc lịch hẹn"


async def test_proactive_send_renders_like_replies(
    polling: TelegramChannel, telegram: FakeTelegram
) -> None:
    an = telegram.user()
    buttons = tuple(Button(f"Lựa chọn {i}", f"opt:{i}") for i in range(1, 121))
    await polling.send(ConversationRef("telegram", str(an.id)), [Reply("Chọn:", buttons)])
    [message] = an.messages
    assert len(message.buttons) == 100
    assert message.text.splitlines()[-1] == "120. Lựa chọn 120"


async def test_proactive_send_reports_persistent_flood_as_rate_limited(
    telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an = telegram.user()
    telegram.flood(retry_after=7)
    channel = TelegramChannel(
        TOKEN, MemoryInbox(handler), api_url=telegram.url, poll_timeout=1, flood_retries=0
    )
    async with channel:
        with pytest.raises(RateLimited) as caught:
            await channel.send(ConversationRef("telegram", str(an.id)), [Reply("Nhắc")])
    assert caught.value.retry_after == 7


async def test_a_wrong_token_is_refused_at_start(
    telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    channel = TelegramChannel("42:wrong", MemoryInbox(handler), api_url=telegram.url)
    with pytest.raises(ConfigurationError, match="rejected the bot token") as caught:
        await channel.start()
    assert "42:wrong" not in str(caught.value)


async def test_the_token_never_reaches_the_logs(
    telegram: FakeTelegram, handler: ScriptedHandler, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every record PTB and aiohttp write, at any level
    an = telegram.user()
    async with TelegramChannel(TOKEN, MemoryInbox(handler), api_url=telegram.url, poll_timeout=1):
        an.send("xin chao")
        await telegram.wait_for(lambda: len(an.messages) == 1)
    assert "getUpdates" in caplog.text  # PTB logged its calls (replies go unlogged)...
    assert TOKEN not in caplog.text  # ...without the token in their URLs


class FailsOnce(MemoryInbox):
    """An inbox that cannot keep the first message it is given (its database is down)."""

    failed = False

    async def accept(self, message: IncomingMessage) -> bool:
        if not self.failed:
            self.failed = True
            raise ConnectionError("database unavailable")
        return await super().accept(message)


async def test_an_update_the_inbox_could_not_keep_is_kept_later_and_polling_goes_on(
    telegram: FakeTelegram, handler: ScriptedHandler, caplog: pytest.LogCaptureFixture
) -> None:
    channel = TelegramChannel(TOKEN, FailsOnce(handler), api_url=telegram.url, poll_timeout=1)
    async with channel:
        an = telegram.user()
        an.send("xin chao")
        await telegram.wait_for(lambda: len(an.messages) == 1)
        an.send("con do khong?")  # polling did not die with the failure
        await telegram.wait_for(lambda: len(an.messages) == 2)
    assert [m.text for m in handler.seen] == ["xin chao", "con do khong?"]
    [failure, *_] = [r for r in caplog.records if r.getMessage().startswith("telegram update not")]
    assert failure.levelno == logging.ERROR and failure.exc_info is not None


async def test_a_polled_update_the_webhook_would_refuse_is_skipped_and_polling_goes_on(
    polling: TelegramChannel,
    telegram: FakeTelegram,
    handler: ScriptedHandler,
    caplog: pytest.LogCaptureFixture,
) -> None:
    an = telegram.user()
    future = {"message_id": 1, "date": 5_000_000_000, "chat": an.chat, "from": an.json}
    odd = telegram.enqueue({"message": future | {"text": "nam 2128"}}, key=an.id)
    an.send("xin chao")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    assert handler.texts == ["xin chao"]
    [refused] = [r for r in caplog.records if r.getMessage().startswith("telegram update ")]
    assert refused.getMessage() == (
        f"telegram update {odd['update_id']} refused: message.date: "
        "Input should be less than 4102444800"
    )
