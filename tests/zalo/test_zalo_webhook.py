"""The webhook route: signatures, malformed bodies, every event type, deduplication, ordering."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from fakes.zalo import FakeZalo
from support.handlers import RecordingHandler
from support.secret_store import MemorySecrets
from zalo_support import running_bot

from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from integrations.zalo import ZaloChannel

FIXTURES = Path(__file__).parent / "fixtures"
USER = "2468458835296197922"
REF = ConversationRef("zalo", USER)


def fixture_body(name: str) -> bytes:
    """A captured-style webhook body, byte for byte as stored."""
    return (FIXTURES / f"{name}.json").read_bytes().strip()


async def post_fixture(zalo: FakeZalo, name: str) -> int:
    """Deliver a fixture signed the way Zalo signs it; the HTTP status the bot answered."""
    body = fixture_body(name)
    event = json.loads(body)
    delivery = await zalo.emit(event, body=body)
    return delivery.statuses[-1]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("user_send_text", IncomingMessage(REF, text="lam cccd cho me o dau")),
        ("button_tap", IncomingMessage(REF, payload="proc:1.001193")),
        (
            "user_send_image",
            IncomingMessage(
                REF,
                text="giấy khai sinh của cháu",
                attachment=Attachment("image", "https://photo-stal-1.zdn.vn/1764057610/image.jpg"),
            ),
        ),
        (
            "user_send_file",
            IncomingMessage(
                REF,
                attachment=Attachment(
                    "file", "https://f20-zpc.zdn.vn/1764057615/to-khai.pdf", "to-khai.pdf", 182344
                ),
            ),
        ),
        ("follow", IncomingMessage(REF, text="/start")),
    ],
)
async def test_each_user_event_reaches_the_handler_as_one_message(
    zalo: FakeZalo,
    bot: ZaloChannel,
    handler: RecordingHandler,
    fixture: str,
    expected: IncomingMessage,
) -> None:
    assert await post_fixture(zalo, fixture) == 200
    await bot.join()
    assert len(handler.received) == 1
    got = handler.received[0]
    assert (got.ref, got.text, got.payload, got.attachment) == (
        expected.ref,
        expected.text,
        expected.payload,
        expected.attachment,
    )
    assert got.message_id
    assert got.received_at is not None
    assert got.received_at.timestamp() * 1000 == int(json.loads(fixture_body(fixture))["timestamp"])


@pytest.mark.parametrize("fixture", ["unfollow", "oa_send_text", "user_submit_info"])
async def test_echoes_unfollows_and_submitted_info_are_acknowledged_and_ignored(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler, fixture: str
) -> None:
    assert await post_fixture(zalo, fixture) == 200
    await bot.join()
    assert handler.received == []
    assert zalo.sent == []


async def test_a_message_id_is_the_zalo_msg_id(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    await post_fixture(zalo, "user_send_text")
    await bot.join()
    assert handler.received[0].message_id == "96d3cdf3af150460909"


async def test_the_signature_may_come_without_its_mac_prefix(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    event = zalo.text_event(USER, "xin chào")
    raw = json.dumps(event, ensure_ascii=False).encode()
    bare = zalo.sign(raw, event["timestamp"]).removeprefix("mac=")
    delivery = await zalo.emit(event, body=raw, signature=bare)
    await bot.join()
    assert delivery.statuses == [200]
    assert [m.text for m in handler.received] == ["xin chào"]


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda z, raw, ts: "mac=" + "0" * 64, id="wrong-mac"),
        pytest.param(lambda z, raw, ts: z.sign(raw, ts, secret=z.app_secret), id="app-secret"),
        pytest.param(lambda z, raw, ts: z.sign(raw + b" ", ts), id="other-body"),
        pytest.param(lambda z, raw, ts: z.sign(raw, str(int(ts) + 1)), id="other-timestamp"),
        pytest.param(lambda z, raw, ts: "", id="missing"),
    ],
)
async def test_a_forged_call_gets_403_and_nothing_is_processed(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler, forge: object
) -> None:
    event = zalo.text_event(USER, "chuyển tiền cho tôi")
    raw = json.dumps(event, ensure_ascii=False).encode()
    signature = forge(zalo, raw, event["timestamp"])  # type: ignore[operator]
    headers = {"X-ZEvent-Signature": signature} if signature else {}
    assert await zalo.post(raw, headers) == 403
    await bot.join()
    assert handler.received == []
    assert zalo.sent == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b'["user_send_text"]', id="array"),
        pytest.param(
            b'{"event_name":"user_send_text","timestamp":"1764057600000"}', id="no-sender"
        ),
        pytest.param(
            b'{"event_name":"user_send_text","sender":{"id":"1"},"timestamp":"1764057600000",'
            b'"message":{"msg_id":"m1"}}',
            id="no-text",
        ),
        pytest.param(
            b'{"event_name":"user_send_image","sender":{"id":"1"},"timestamp":"1764057600000",'
            b'"message":{"msg_id":"m2","attachments":[]}}',
            id="no-attachment",
        ),
        pytest.param(
            b'{"event_name":"user_send_text","sender":{"id":"1"},"timestamp":"soon",'
            b'"message":{"msg_id":"m3","text":"hi"}}',
            id="bad-timestamp",
        ),
    ],
)
async def test_a_signed_but_malformed_body_gets_400_and_nothing_is_processed(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler, body: bytes
) -> None:
    # Bodies without a usable timestamp are signed with the X-ZEvent-Timestamp header variant.
    timestamp = "1764057600000"
    headers = {
        "X-ZEvent-Signature": zalo.sign(body, timestamp),
        "X-ZEvent-Timestamp": timestamp,
    }
    assert await zalo.post(body, headers) == 400
    await bot.join()
    assert handler.received == []


async def test_the_200_goes_out_before_the_message_is_handled(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    handler.gate = asyncio.Event()
    delivery = await zalo.emit(zalo.text_event(USER, "cấp lại cccd"))
    assert delivery.statuses == [200]
    await handler.started.wait()
    assert zalo.sent == []  # still being handled while Zalo already has its 200
    handler.gate.set()
    await zalo.wait_sent(1)
    assert zalo.sent[0].text == "echo: cấp lại cccd"


async def test_a_redelivered_event_is_handled_once(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    delivery = await zalo.emit(zalo.text_event(USER, "dk khai sinh"), times=3)
    await bot.join()
    assert delivery.statuses == [200, 200, 200]
    assert [m.text for m in handler.received] == ["dk khai sinh"]
    assert [m.text for m in zalo.sent] == ["echo: dk khai sinh"]


async def test_a_redelivered_follow_is_handled_once(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    await zalo.emit(zalo.event("follow", USER), times=2)
    await bot.join()
    assert len(handler.received) == 1


async def test_out_of_order_and_late_duplicate_deliveries_each_count_once(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    first = zalo.text_event(USER, "một")
    zalo.clock.advance(seconds=5)
    second = zalo.text_event(USER, "hai")
    await zalo.emit(second)
    await zalo.emit(first)
    await zalo.emit(second)  # a retry that arrives after everything else
    await bot.join()
    assert sorted(m.text or "" for m in handler.received) == ["hai", "một"]
    assert len(zalo.sent) == 2


async def test_one_users_messages_are_handled_in_order_while_others_proceed(
    zalo: FakeZalo, store: MemorySecrets
) -> None:
    order: list[str] = []
    release, b_done = asyncio.Event(), asyncio.Event()

    async def slow_first(message: IncomingMessage) -> list[Reply]:
        order.append(f"start {message.text}")
        if message.text == "a1":
            await release.wait()
        order.append(f"end {message.text}")
        if message.text == "b1":
            b_done.set()
        return []

    async with running_bot(zalo, slow_first, store) as bot:
        await zalo.emit(zalo.text_event("user-a", "a1"))
        await zalo.emit(zalo.text_event("user-a", "a2"))
        await zalo.emit(zalo.text_event("user-b", "b1"))
        await b_done.wait()
        assert "start a2" not in order  # a2 waits behind a1; b1 did not
        release.set()
        await bot.join()
    assert order.index("end a1") < order.index("start a2")


async def test_zalo_retries_a_refused_delivery_and_a_forged_one_never_gets_through(
    zalo: FakeZalo, bot: ZaloChannel, handler: RecordingHandler
) -> None:
    delivery = await zalo.emit(zalo.text_event(USER, "xin chào"), signature="mac=" + "f" * 64)
    await bot.join()
    assert delivery.statuses == [403] * (1 + zalo.webhook_retries)
    assert handler.received == []


async def test_shutdown_cancels_a_conversation_stuck_past_the_grace_period(
    zalo: FakeZalo, store: MemorySecrets
) -> None:
    handler = RecordingHandler()
    handler.gate = asyncio.Event()  # never opened: the handler hangs
    async with running_bot(zalo, handler, store, shutdown_grace=0.01):
        await zalo.emit(zalo.text_event(USER, "xin chào"))
        await handler.started.wait()
    assert zalo.sent == []
