"""The Messenger webhook route: handshake, signatures, event parsing, duplicates and ordering."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from aiohttp.typedefs import Handler
from messenger_support import VERIFY_TOKEN, Harness, fixture_body

from dialogs.messages import Attachment, IncomingMessage, Reply
from integrations.messenger import WEBHOOK_PATH

USER = "6543210987654321"
OTHER = "7012345678901234"


async def test_handshake_echoes_the_challenge_for_the_right_token(harness: Harness) -> None:
    assert await harness.graph.verify_subscription(VERIFY_TOKEN, "1158201444") == (
        200,
        "1158201444",
    )


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
async def test_handshake_refuses_anything_else(harness: Harness, params: dict[str, str]) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(harness.graph.webhook_url, params=params) as response,
    ):
        assert response.status == 403
        assert await response.text() != "1"


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("text", [("text", "lam lai cccd bi mat thi can giay to gi")]),
        ("quick_reply", [("payload", "cl:have")]),
        ("postback", [("payload", "proc:1.001193")]),
        ("image", [("image", "https://scontent.xx.fbcdn.net/v/t1.15752-9/cccd_mat_truoc.jpg")]),
        ("sticker", []),
        ("echo", []),
        ("delivery", []),
        ("read", []),
        ("batched", [("text", "dk khai sinh"), ("text", "cap doi gplx"), ("payload", "cl:next")]),
    ],
)
async def test_each_event_type_becomes_the_right_incoming_message(
    harness: Harness, fixture: str, expected: list[tuple[str, str]]
) -> None:
    body = fixture_body(fixture)
    assert await harness.graph.post_raw(body, harness.graph.signed_headers(body)) == 200
    await harness.adapter.drain()

    got = [_summary(message) for message in harness.handler.received]
    assert [(kind, value.split("?")[0]) for kind, value in got] == expected
    for message in harness.handler.received:
        assert message.ref.channel == "messenger"
        assert message.message_id and message.message_id.startswith("m_")
        assert message.received_at is not None


async def test_batched_entries_keep_each_sender(harness: Harness) -> None:
    body = fixture_body("batched")
    await harness.graph.post_raw(body, harness.graph.signed_headers(body))
    await harness.adapter.drain()
    assert [m.ref.user_id for m in harness.handler.received] == [USER, OTHER, USER]


async def test_vietnamese_text_arrives_intact_from_the_escaped_body(harness: Harness) -> None:
    event = harness.graph.text(USER, "Tôi muốn đăng ký khai sinh cho con")
    assert await harness.deliver([event]) == 200
    assert harness.handler.received[0].text == "Tôi muốn đăng ký khai sinh cho con"


@pytest.mark.parametrize("headers", ["forged", "missing", "sha1-only", "tampered"])
async def test_a_bad_signature_is_refused_and_nothing_is_processed(
    harness: Harness, headers: str
) -> None:
    graph = harness.graph
    body = graph.envelope([graph.text(USER, "dk khai sinh")])
    signed = graph.signed_headers(body)
    if headers == "forged":
        signed = graph.signed_headers(body, secret="not-the-app-secret")
    elif headers == "missing":
        del signed["X-Hub-Signature-256"], signed["X-Hub-Signature"]
    elif headers == "sha1-only":
        del signed["X-Hub-Signature-256"]
    else:
        body = body.replace(b"dk khai sinh", b"dk ket hon!!")

    assert await graph.post_raw(body, signed) == 403
    await harness.adapter.drain()
    assert harness.handler.received == []
    assert harness.store.values == {}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"object": "instagram", "entry": []}',
        b'{"object": "page", "entry": {"id": "1"}}',
        b'["page"]',
        b"\xff\xfe",
        # The first event is fine, the second has no sender: the whole body is refused.
        b'{"object":"page","entry":[{"id":"1","time":1,"messaging":['
        b'{"sender":{"id":"42"},"recipient":{"id":"1"},"timestamp":1,'
        b'"message":{"mid":"m_1","text":"hi"}},'
        b'{"recipient":{"id":"1"},"timestamp":2,"message":{"mid":"m_2","text":"x"}}]}]}',
    ],
)
async def test_a_malformed_body_is_a_400_and_nothing_is_processed(
    harness: Harness, body: bytes
) -> None:
    assert await harness.graph.post_raw(body, harness.graph.signed_headers(body)) == 400
    await harness.adapter.drain()
    assert harness.handler.received == []
    assert harness.store.values == {}


async def test_a_duplicate_delivery_is_processed_once(harness: Harness) -> None:
    harness.handler.answer = lambda message: (Reply("Đã nhận"),)
    event = harness.graph.text(USER, "cap lai cccd")

    assert await harness.deliver([event], twice=True) == 200
    assert await harness.deliver([event, event]) == 200

    assert harness.graph.deliveries == [200, 200, 200]
    assert len(harness.handler.received) == 1
    assert [m.text for m in harness.graph.messages_to(USER)] == ["Đã nhận"]


async def test_the_emitter_retries_until_the_webhook_answers_200(harness: Harness) -> None:
    failures = [503, 500]

    @web.middleware
    async def flaky(request: web.Request, handler: Handler) -> web.StreamResponse:
        if failures:
            return web.Response(status=failures.pop(0))
        return await handler(request)

    app = web.Application(middlewares=[flaky])
    app.add_routes(harness.adapter.routes())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    harness.graph.webhook_url = f"http://127.0.0.1:{runner.addresses[0][1]}{WEBHOOK_PATH}"
    try:
        assert await harness.deliver([harness.graph.text(USER, "xin chao")]) == 200
    finally:
        await runner.cleanup()
    assert harness.graph.deliveries == [503, 500, 200]
    assert [m.text for m in harness.handler.received] == ["xin chao"]


async def test_out_of_order_deliveries_are_each_processed_and_keep_the_window(
    harness: Harness,
) -> None:
    graph, clock = harness.graph, harness.clock
    first = graph.text(USER, "mot")
    clock.advance(timedelta(minutes=5))
    second = graph.text(USER, "hai")

    await graph.deliver_out_of_order([first, second])
    await harness.adapter.drain()

    assert [m.text for m in harness.handler.received] == ["hai", "mot"]
    # The late, older event must not move the window back.
    stored = harness.store.values[f"messenger.last_inbound.{USER}"]
    assert stored == clock.now().isoformat()


async def test_the_webhook_answers_before_the_work_is_done(harness: Harness) -> None:
    release = asyncio.Event()
    handled: list[str] = []

    async def slow(message: IncomingMessage) -> Sequence[Reply]:
        await release.wait()
        handled.append(message.text or "")
        return ()

    harness.handler.answer = slow
    assert await harness.graph.deliver([harness.graph.text(USER, "cho")]) == 200
    assert handled == []
    release.set()
    await harness.adapter.drain()
    assert handled == ["cho"]


async def test_one_users_messages_stay_in_order_while_others_proceed(harness: Harness) -> None:
    graph = harness.graph
    release = asyncio.Event()
    handled: list[str] = []

    async def handler(message: IncomingMessage) -> Sequence[Reply]:
        if message.text == "a1":
            await release.wait()
        handled.append(message.text or "")
        return ()

    harness.handler.answer = handler
    await graph.deliver([graph.text(USER, "a1")])
    await graph.deliver([graph.text(USER, "a2")])
    await graph.deliver([graph.text(OTHER, "b1")])
    for _ in range(20):
        if handled:
            break
        await asyncio.sleep(0)
    assert handled == ["b1"]
    release.set()
    await harness.adapter.drain()
    assert handled == ["b1", "a1", "a2"]


async def test_echoes_and_receipts_neither_reach_the_dialogs_nor_open_the_window(
    harness: Harness,
) -> None:
    graph = harness.graph
    await harness.deliver([graph.echo(USER, "Xin chào"), graph.delivery(USER, ["m_1"])])
    await harness.deliver([graph.read(USER)])
    assert harness.handler.received == []
    assert harness.store.values == {}


def _summary(message: IncomingMessage) -> tuple[str, str]:
    if message.attachment is not None:
        assert isinstance(message.attachment, Attachment)
        return message.attachment.kind, message.attachment.url
    if message.payload is not None:
        assert message.text is None
        return "payload", message.payload
    return "text", message.text or ""
