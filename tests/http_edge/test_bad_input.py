"""Each input fault found by fuzzing the served app, kept as a test: a 4xx with a reason, and
nothing stored or handled; or, for text a platform may really send, an answer and clean storage.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from edge_support import TELEGRAM_SECRET as SECRET
from edge_support import Answer, Edge
from sqlalchemy import func, select

from bot.storage.tables import InboxRow, MessageLogRow

PSID = "6543210987654321"
ZALO_USER = "2468458835296197922"
NESTED = b"[" * 5000 + b"]" * 5000


async def stored(edge: Edge) -> tuple[int, int]:
    """How many messages are logged and how many messages the inbox holds."""
    async with edge.app.database.transaction() as session:
        logged = await session.scalar(select(func.count()).select_from(MessageLogRow))
        marked = await session.scalar(select(func.count()).select_from(InboxRow))
    return logged or 0, marked or 0


def refused(answer: Answer, status: int) -> dict[str, Any]:
    """The JSON error body of a refusal with ``status``, which must say what is wrong."""
    assert answer.status == status, answer
    assert answer.content_type == "application/json", answer
    body: dict[str, Any] = json.loads(answer.text)
    assert body["error"] and "Traceback" not in answer.text
    return body


def messenger_body(**event: Any) -> bytes:
    messaging = {"sender": {"id": PSID}, "recipient": {"id": "1"}, "timestamp": 1795507140000}
    envelope = {"object": "page", "entry": [{"id": "1", "messaging": [{**messaging, **event}]}]}
    return json.dumps(envelope).encode()


def zalo_body(**fields: Any) -> bytes:
    event = {
        "app_id": "360846524940903967",
        "event_name": "user_send_text",
        "sender": {"id": ZALO_USER},
        "recipient": {"id": "388613280878808645"},
        "message": {"text": "dang ky khai sinh", "msg_id": "mid-0001"},
        "timestamp": "1795507140000",
        **fields,
    }
    return json.dumps(event).encode()


def telegram_body(text: str) -> bytes:
    user = {"id": 5550001, "is_bot": False, "first_name": "An", "language_code": "vi"}
    message = {
        "message_id": 1,
        "date": 1795507140,
        "from": user,
        "chat": {"id": 5550001, "type": "private", "first_name": "An"},
        "text": text,
    }
    return json.dumps({"update_id": 700000001, "message": message}).encode()


async def test_deeply_nested_json_in_the_web_chat_is_a_400(edge: Edge) -> None:
    body = b'{"text": ' + NESTED + b"}"
    assert refused(await edge.chat(body), 400)["code"] == "bad_json"
    assert await stored(edge) == (0, 0)


@pytest.mark.parametrize("signed", [False, True])
async def test_deeply_nested_json_on_zalo_is_refused_without_recursing(
    edge: Edge, signed: bool
) -> None:
    body = zalo_body(message=json.loads("[]")).replace(b"[]", NESTED)
    answer = await edge.zalo_event(body, "1795507140000" if signed else None)
    refused(answer, 400 if signed else 403)
    assert await stored(edge) == (0, 0)


async def test_zalo_checks_the_signature_before_reading_the_body(edge: Edge) -> None:
    """A forged body is refused for its signature, whatever it holds: nothing parses it."""
    for body in (zalo_body(timestamp="\ud800"), b"\xff\xfe{", NESTED, zalo_body(timestamp=[1])):
        answer = await edge.request(
            "POST", "/webhooks/zalo", body, {"X-ZEvent-Signature": "mac=" + "0" * 64}
        )
        assert refused(answer, 403)["error"] == "invalid signature"
    assert await stored(edge) == (0, 0)


@pytest.mark.parametrize("header", ["mac=é", "mac=" + "0" * 64 + "ü", "sha256=ü"])
async def test_a_signature_header_with_non_ascii_characters_is_a_403(
    edge: Edge, header: str
) -> None:
    body = zalo_body()
    zalo = await edge.request("POST", "/webhooks/zalo", body, {"X-ZEvent-Signature": header})
    meta = await edge.request(
        "POST", "/webhooks/messenger", messenger_body(), {"X-Hub-Signature-256": header}
    )
    assert (zalo.status, meta.status) == (403, 403)
    assert await stored(edge) == (0, 0)


@pytest.mark.parametrize("timestamp", ["9999999999999999", "99999999999999999999"])
async def test_a_zalo_timestamp_no_date_can_hold_is_a_400(edge: Edge, timestamp: str) -> None:
    body = zalo_body(timestamp=timestamp)
    answer = await edge.zalo_event(body, timestamp)
    assert "timestamp" in refused(answer, 400)["error"]
    assert await stored(edge) == (0, 0)


async def test_a_zalo_timestamp_of_other_digits_is_never_taken_as_signed(edge: Edge) -> None:
    """Zalo's timestamps are ASCII digits; "²" counts as a digit to ``str.isdigit`` only."""
    answer = await edge.zalo_event(zalo_body(timestamp="²"), "²")
    refused(answer, 403)
    assert await stored(edge) == (0, 0)


@pytest.mark.parametrize("timestamp", [10**20, 10**17, -1, 1.5, "soon"])
async def test_a_messenger_timestamp_no_date_can_hold_is_a_400(
    edge: Edge, timestamp: object
) -> None:
    body = messenger_body(timestamp=timestamp, message={"mid": "m_1", "text": "hi"})
    assert "timestamp" in refused(await edge.messenger_event(body), 400)["error"]
    assert await stored(edge) == (0, 0)


@pytest.mark.parametrize("size", ["-5", "12 KB", -5, 2**70, None])
async def test_a_zalo_file_size_that_is_not_a_size_is_taken_as_unknown(
    edge: Edge, size: object
) -> None:
    """An odd size once escaped validation as a TypeError, answered with 500."""
    attachment = {"payload": {"url": "https://f.zalo.me/a.pdf", "name": "a.pdf", "size": size}}
    body = zalo_body(
        event_name="user_send_file", message={"msg_id": "file-1", "attachments": [attachment]}
    )
    assert (await edge.zalo_event(body, "1795507140000")).status == 200


async def test_a_history_cursor_of_other_digits_is_a_400(edge: Edge) -> None:
    answer = await edge.request("GET", "/api/history?after=%C2%B2")
    assert refused(answer, 400)["code"] == "bad_after"


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        ("/api/chat", 32 * 1024),
        ("/webhooks/telegram", 256 * 1024),
        ("/webhooks/zalo", 64 * 1024),
        ("/webhooks/messenger", 1024 * 1024),
    ],
)
async def test_a_body_over_the_routes_limit_is_a_413(edge: Edge, path: str, limit: int) -> None:
    body = b'{"text": "' + b"a" * limit + b'"}'
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    answer = await edge.request("POST", path, body, headers)
    assert refused(answer, 413)["code"] == "body_too_large"
    assert await stored(edge) == (0, 0)


async def test_a_nul_character_typed_in_the_web_chat_is_answered_and_stored_without_it(
    edge_on_each_database: Edge,
) -> None:
    """PostgreSQL refuses NUL in text and JSON columns; the web chat used to answer 500."""
    edge = edge_on_each_database
    body = json.dumps({"text": "dang ky\u0000 khai sinh"}).encode()
    answer = await edge.chat(body)
    assert answer.status == 200, answer
    assert json.loads(answer.text)["replies"]
    async with edge.app.database.transaction() as session:
        texts = (await session.scalars(select(MessageLogRow.text))).all()
    assert "dang ky khai sinh" in texts


async def test_a_nul_character_from_each_platform_is_answered(
    edge_on_each_database: Edge,
) -> None:
    edge = edge_on_each_database
    text = "dang ky\u0000 khai sinh"
    telegram = await edge.telegram_update(telegram_body(text))
    messenger = await edge.messenger_event(messenger_body(message={"mid": "m_nul", "text": text}))
    zalo = await edge.zalo_event(
        zalo_body(message={"text": text, "msg_id": "nul-1"}), "1795507140000"
    )
    assert (telegram.status, messenger.status, zalo.status) == (200, 200, 200)
    await edge.settle()
    async with edge.app.database.transaction() as session:
        rows = (await session.execute(select(MessageLogRow.channel, MessageLogRow.text))).all()
    # Each turn committed: the cleaned text and the answer to it were logged.
    assert sorted(channel for channel, text in rows if text == "dang ky khai sinh") == [
        "messenger",
        "telegram",
        "zalo",
    ]
    assert {channel for channel, _text in rows} == {"messenger", "telegram", "zalo"}
    assert len(rows) > 3


async def test_a_nul_character_in_an_id_or_a_file_address_is_refused_and_changes_nothing(
    edge_on_each_database: Edge,
) -> None:
    """Fuzzing on PostgreSQL found 5xx from a NUL in Messenger and Zalo ids: unlike a text, an
    id or a file's address cannot be cleaned without naming something else, so it is refused."""
    edge = edge_on_each_database
    image = [{"type": "image", "payload": {"url": "https://cdn.example/a\u0000.jpg"}}]
    messenger = [
        messenger_body(sender={"id": "65432\u000010987"}, message={"mid": "m1", "text": "hi"}),
        messenger_body(message={"mid": "m_\u0000", "text": "hi"}),
        messenger_body(message={"mid": "m2", "attachments": image}),
    ]
    zalo_image = {
        "msg_id": "z3",
        "attachments": [{"payload": {"url": "https://zalo.example/\u0000.jpg"}}],
    }
    zalo = [
        zalo_body(sender={"id": "2468\u0000"}),
        zalo_body(message={"text": "hi", "msg_id": "z\u00002"}),
        zalo_body(event_name="user_send_image", message=zalo_image),
    ]
    update = json.loads(telegram_body("hi"))
    update["message"]["photo"] = [{"file_id": "AgAC\u0000", "width": 90, "height": 90}]
    answers = [await edge.messenger_event(body) for body in messenger]
    answers += [await edge.zalo_event(body, "1795507140000") for body in zalo]
    answers.append(await edge.telegram_update(json.dumps(update).encode()))
    # The user's language code is kept with the message (make fuzz on PostgreSQL found it).
    update = json.loads(telegram_body("hi"))
    update["message"]["from"]["language_code"] = "vi\u0000"
    answers.append(await edge.telegram_update(json.dumps(update).encode()))
    for answer in answers:
        assert "NUL" in refused(answer, 400)["error"]
    await edge.settle()
    assert await stored(edge) == (0, 0)
