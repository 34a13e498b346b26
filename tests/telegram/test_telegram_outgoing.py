"""Messages sent with their body encoded once: the body Telegram gets, the Bot API's refusals
read exactly as python-telegram-bot reads them, and the channel's errors on each refusal."""

from __future__ import annotations

import json

import pytest
from fakes.telegram import TOKEN, FakeTelegram
from telegram.error import ChatMigrated, RetryAfter, TelegramError
from telegram.request import BaseRequest, RequestData
from telegram_support import LONG_PAYLOAD, ScriptedHandler

from dialogs.errors import (
    DeliveryError,
    MotcuaError,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)
from dialogs.messages import Button, ConversationRef, Reply
from integrations.ordering import MemoryInbox
from integrations.telegram import TelegramChannel
from integrations.telegram.botapi import ApiError, Connection, judge, refused
from integrations.telegram.outgoing import TextMessage


def answer(**fields: object) -> bytes:
    return json.dumps({"ok": False, **fields}).encode()


# The Bot API's error answers (/work/shared/specs/platforms.md, "Error replies"), and a proxy's.
REFUSALS = [
    (
        429,
        answer(
            error_code=429,
            description="Too Many Requests: retry after 7",
            parameters={"retry_after": 7},
        ),
    ),
    (403, answer(error_code=403, description="Forbidden: bot was blocked by the user")),
    (403, answer(error_code=403, description="Forbidden: user is deactivated")),
    (
        403,
        answer(
            error_code=403, description="Forbidden: bot can't initiate conversation with a user"
        ),
    ),
    (400, answer(error_code=400, description="Bad Request: chat not found")),
    (400, answer(error_code=400, description="Bad Request: message is too long")),
    (
        400,
        answer(
            error_code=400,
            description="Bad Request: group chat was upgraded to a supergroup chat",
            parameters={"migrate_to_chat_id": -1001234567890},
        ),
    ),
    (401, answer(error_code=401, description="Unauthorized")),
    (404, answer(error_code=404, description="Not Found")),
    (409, answer(error_code=409, description="Conflict: terminated by other getUpdates request")),
    (500, answer(error_code=500, description="Internal Server Error")),
    (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    (503, b""),
    (420, answer(error_code=420, description="FLOOD_WAIT_X")),
    (400, answer(error_code=400, description="Bad Request: odd", parameters={"new": 1})),
]


class Answers(BaseRequest):
    """PTB's own request layer, answering every call with one status and body."""

    def __init__(self, status: int, body: bytes) -> None:
        self._answer = status, body

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(self, *args: object, **kwargs: object) -> tuple[int, bytes]:
        return self._answer


def described(error: TelegramError) -> tuple[str, str, object]:
    extra = (
        error.retry_after
        if isinstance(error, RetryAfter)
        else error.new_chat_id
        if isinstance(error, ChatMigrated)
        else None
    )
    return type(error).__name__, error.message, extra


def described_api(error: ApiError) -> tuple[str, str, object]:
    return error.kind, error.message, error.retry_after or error.new_chat_id


@pytest.mark.parametrize(("status", "body"), REFUSALS)
async def test_a_refusal_is_the_exception_ptb_raises_for_it(status: int, body: bytes) -> None:
    with pytest.raises(TelegramError) as ptb:
        await Answers(status, body).post("https://api.telegram.org/botX/sendMessage", RequestData())
    assert described_api(refused(status, body)) == described(ptb.value)


@pytest.mark.parametrize(
    ("status", "description", "expected"),
    [
        (403, "Forbidden: bot was blocked by the user", RecipientUnavailable),
        (400, "Bad Request: chat not found", RecipientUnavailable),
        (400, "Bad Request: message is too long", DeliveryError),
        (502, "Bad Gateway", TemporaryFailure),
        (500, "Internal Server Error", TemporaryFailure),
    ],
)
async def test_the_channel_raises_the_error_of_each_refusal(
    telegram: FakeTelegram,
    handler: ScriptedHandler,
    status: int,
    description: str,
    expected: type[MotcuaError],
) -> None:
    an = telegram.user()
    ref = ConversationRef("telegram", str(an.id))
    telegram.fail("sendMessage", status, description)
    async with TelegramChannel(TOKEN, MemoryInbox(handler), api_url=telegram.url) as channel:
        with pytest.raises(DeliveryError) as caught:
            await channel.send(ref, [Reply("Nhắc lịch hẹn")])
        assert type(caught.value) is expected
        assert str(caught.value).lower() in description.lower()  # PTB drops "Bad Request: "
        if expected is RecipientUnavailable:  # marked: not tried again
            with pytest.raises(RecipientUnavailable):
                await channel.send(ref, [Reply("Nhắc lịch hẹn")])
            assert len(telegram.calls_of("sendMessage")) == 1
        else:
            await channel.send(ref, [Reply("Nhắc lịch hẹn")])
            assert [m.text for m in an.messages] == ["Nhắc lịch hẹn"]


def test_a_flood_keeps_its_wait_through_translate() -> None:
    status, body = REFUSALS[0]
    translated = judge(refused(status, body))
    assert isinstance(translated, RateLimited) and translated.retry_after == 7


def test_the_body_holds_the_chat_text_and_keyboard() -> None:
    message = TextMessage(
        "<b>Bão số 3</b> & mưa", [Button("Xem", "ann:1"), Button("Web", url="https://x.vn")]
    )
    assert json.loads(message.body_for(9_000_000_001)) == {
        "chat_id": 9_000_000_001,
        "text": "<b>Bão số 3</b> & mưa",
        "parse_mode": "HTML",
        "reply_markup": {
            "inline_keyboard": [
                [{"text": "Xem", "callback_data": "ann:1"}],
                [{"text": "Web", "url": "https://x.vn"}],
            ]
        },
    }
    assert "reply_markup" not in json.loads(TextMessage("Chào").body_for(-100))


async def test_one_encoded_message_reaches_every_chat_as_sent(telegram: FakeTelegram) -> None:
    an, binh = telegram.user(), telegram.user(5_550_002, "Bình")
    message = TextMessage("<b>Bão số 3</b>: ở nhà", [Button("Đã rõ", "ack")])
    connection = Connection()
    await connection.open()
    try:
        for chat in (an, binh):
            status, _ = await connection.post_json(
                f"{telegram.url}/bot{TOKEN}/sendMessage", message.body_for(chat.id)
            )
            assert status == 200
    finally:
        await connection.close()
    for chat in (an, binh):
        [got] = chat.messages
        assert (got.text, got.bold, got.labels) == ("Bão số 3: ở nhà", ["Bão số 3"], ["Đã rõ"])


async def test_one_reply_encoded_once_reaches_each_chat_with_buttons_that_resolve(
    polling: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an, binh = telegram.user(5_550_001), telegram.user(5_550_002, "Bình")
    announcement = (Reply("Danh sách giấy tờ", (Button("Đã có", LONG_PAYLOAD),)),)
    for chat in (an, binh):
        await polling.send(ConversationRef("telegram", str(chat.id)), announcement)
    tokens = {chat.messages[0].buttons[0]["callback_data"] for chat in (an, binh)}
    assert len(tokens) == 1 and LONG_PAYLOAD not in tokens  # the one encoded body, shortened
    for chat in (an, binh):
        chat.press(chat.messages[0], "Đã có")
    await telegram.wait_for(lambda: len(handler.seen) == 2)
    assert {(m.ref.user_id, m.payload) for m in handler.seen} == {
        (str(an.id), LONG_PAYLOAD),
        (str(binh.id), LONG_PAYLOAD),
    }
