"""The fake Bot API itself behaves like Telegram's: envelopes, encodings, limits, delivery."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from fakes.telegram import BLOCKED, SECRET_HEADER, TOKEN, ChatLimit, FakeTelegram
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{telegram.url}/bot") as client:
        yield client


async def call(
    session: aiohttp.ClientSession, telegram: FakeTelegram, method: str, **kwargs: Any
) -> tuple[int, dict[str, Any], dict[str, str]]:
    async with session.post(f"{telegram.url}/bot{TOKEN}/{method}", **kwargs) as response:
        return response.status, await response.json(), dict(response.headers)


async def test_an_unknown_token_gets_401(
    telegram: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    async with session.get(f"{telegram.url}/bot42:nope/getMe") as response:
        assert response.status == 401
        assert response.content_type == "application/json"
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }


async def test_method_names_are_case_insensitive_and_get_works(
    telegram: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    async with session.get(f"{telegram.url}/bot{TOKEN}/GETME") as response:
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    status, body, _ = await call(session, telegram, "noSuchMethod")
    assert (status, body["description"]) == (404, "Not Found: method not found")


async def test_parameters_arrive_in_every_encoding(
    telegram: FakeTelegram, session: aiohttp.ClientSession
) -> None:
    an = telegram.user()
    markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "cl:have"}]]}
    await call(session, telegram, "sendMessage", params={"chat_id": an.id, "text": "query"})
    await call(session, telegram, "sendMessage", json={"chat_id": an.id, "text": "json"})
    form = {"chat_id": str(an.id), "text": "form", "reply_markup": json.dumps(markup)}
    await call(session, telegram, "sendMessage", data=form)
    multipart = aiohttp.FormData(form)
    multipart.add_field("document", b"%PDF-1.4", filename="to-khai.pdf")
    await call(session, telegram, "sendMessage", data=multipart)
    assert [m.text for m in an.messages] == ["query", "json", "form", "form"]
    assert an.messages[2].reply_markup == markup
    assert telegram.calls_of("sendMessage")[3]["document"] == {
        "filename": "to-khai.pdf",
        "size": 8,
        "content_type": "application/octet-stream",
        "data": b"%PDF-1.4",
    }


async def test_text_limits_and_exact_errors(telegram: FakeTelegram, bot: Bot) -> None:
    an = telegram.user()
    await bot.send_message(an.id, "x" * 4096)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(an.id, "x" * 4097)
    with pytest.raises(BadRequest, match=r"^Message is too long$"):
        await bot.send_message(an.id, "😀" * 2049)  # 4098 UTF-16 code units
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(an.id, "  \n ")
    with pytest.raises(BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(an.id, "<b></b>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"^Chat not found$"):
        await bot.send_message(1, "ai đó")
    assert len(an.messages) == 1


async def test_keyboard_limits(telegram: FakeTelegram, bot: Bot) -> None:
    an = telegram.user()

    def keyboard(count: int, data: str = "ok") -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(str(i), callback_data=data)] for i in range(count)]
        )

    await bot.send_message(an.id, "64 bytes", reply_markup=keyboard(1, "ư" * 32))
    with pytest.raises(BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(an.id, "65 bytes", reply_markup=keyboard(1, "ư" * 32 + "x"))
    await bot.send_message(an.id, "100", reply_markup=keyboard(100))
    with pytest.raises(BadRequest, match=r"^Reply_markup_too_long$"):
        await bot.send_message(an.id, "101", reply_markup=keyboard(101))
    assert [m.text for m in an.messages] == ["64 bytes", "100"]


async def test_get_updates_confirms_by_offset_and_accepts_negative_offsets(
    telegram: FakeTelegram, bot: Bot
) -> None:
    an = telegram.user()
    ids = [an.send(text)["update_id"] for text in ("mot", "hai", "ba")]
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # the first is forgotten
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
    assert [u.update_id for u in await bot.get_updates(offset=ids[2] + 1)] == []


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(
    telegram: FakeTelegram, bot: Bot
) -> None:
    an = telegram.user()
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await telegram.wait_for(lambda: len(telegram.calls_of("getUpdates")) == 1)
    an.send("xin chao")
    [update] = await poll
    assert update.message is not None and update.message.text == "xin chao"
    assert telegram.calls_of("getUpdates")[0]["timeout"] == "30"


async def test_a_second_poller_terminates_the_first(
    telegram: FakeTelegram, bot: Bot, session: aiohttp.ClientSession
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=30))
    await telegram.wait_for(lambda: len(telegram.calls_of("getUpdates")) == 1)
    status, body, _ = await call(session, telegram, "getUpdates", json={"timeout": 0})
    assert (status, body["result"]) == (200, [])
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_get_updates_conflicts_while_a_webhook_is_set(
    telegram: FakeTelegram, bot: Bot
) -> None:
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret")
    with pytest.raises(Conflict, match="can't use getUpdates method while webhook is active"):
        await bot.get_updates()
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook"
    with pytest.raises(BadRequest, match=r"^Secret token contains unallowed characters$"):
        await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="có dấu")
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()


async def test_injected_flood_and_block_replies_are_exact(
    telegram: FakeTelegram, session: aiohttp.ClientSession, bot: Bot
) -> None:
    an = telegram.user()
    telegram.flood(retry_after=3)
    status, body, headers = await call(
        session, telegram, "sendMessage", json={"chat_id": an.id, "text": "a"}
    )
    assert (status, headers["Retry-After"]) == (429, "3")
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 3",
        "parameters": {"retry_after": 3},
    }
    telegram.flood(retry_after=2)
    with pytest.raises(RetryAfter):
        await bot.send_message(an.id, "b")
    an.block()
    status, body, _ = await call(
        session, telegram, "sendMessage", json={"chat_id": an.id, "text": "c"}
    )
    assert (status, body["description"]) == (403, BLOCKED)
    with pytest.raises(Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(an.id, "d")


async def test_the_per_chat_flood_limit_refuses_past_the_burst_in_that_chat_only(
    session: aiohttp.ClientSession,
) -> None:
    # Half a message a second: nothing drains from the bucket in the time this test takes.
    async with FakeTelegram(chat_limit=ChatLimit(burst=2, per_second=0.5)) as telegram:
        an, binh = telegram.user(5_550_001), telegram.user(5_550_002, "Bình")

        async def send(chat_id: int, text: str) -> tuple[int, dict[str, Any], dict[str, str]]:
            return await call(
                session, telegram, "sendMessage", json={"chat_id": chat_id, "text": text}
            )

        assert [(await send(an.id, t))[0] for t in ("mot", "hai")] == [200, 200]
        status, body, headers = await send(an.id, "ba")
        assert (status, headers["Retry-After"]) == (429, "2")
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 2",
            "parameters": {"retry_after": 2},
        }
        assert (await send(binh.id, "chao"))[0] == 200  # another chat has its own allowance
        assert [m.text for m in an.messages] == ["mot", "hai"]
        assert telegram.flooded == [an.id]


async def test_edits_and_callback_answers_follow_the_server_rules(
    telegram: FakeTelegram, bot: Bot
) -> None:
    an = telegram.user()
    sent = await bot.send_message(
        an.id,
        "Chọn",
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="cl:have")]]),
    )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Chọn", an.id, sent.message_id, reply_markup=sent.reply_markup)
    await bot.edit_message_text("Đã chọn", an.id, sent.message_id)
    assert telegram.edited[-1].text == "Đã chọn"
    query = an.press(an.messages[0], "Có")["callback_query"]
    assert await bot.answer_callback_query(query["id"], text="OK")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])


class Receiver:
    """A webhook endpoint that fails on demand and records what it was sent."""

    def __init__(self, failures: list[web.Response]) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.01)  # give a wrongly parallel sender the chance to overlap
            self.requests.append((dict(request.headers), await request.json()))
            return self.failures.pop(0) if self.failures else web.Response()
        finally:
            self.in_flight -= 1


@pytest.fixture
async def receiver_url() -> AsyncIterator[tuple[Receiver, str]]:
    receiver = Receiver(
        [web.Response(status=500), web.Response(status=503, headers={"Retry-After": "1"})]
    )
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield receiver, f"http://{host}:{port}/hook"
    await runner.cleanup()


async def test_webhook_delivery_headers_retries_and_per_chat_order(
    telegram: FakeTelegram, bot: Bot, receiver_url: tuple[Receiver, str]
) -> None:
    receiver, url = receiver_url
    await bot.set_webhook(url, secret_token="s3cret")
    an = telegram.user()
    ids = [an.send(text)["update_id"] for text in ("mot", "hai", "ba")]
    await telegram.wait_for(lambda: len(receiver.requests) == 5)
    headers, _ = receiver.requests[0]
    assert headers["Content-Type"] == "application/json"
    assert headers[SECRET_HEADER] == "s3cret"
    assert [body["update_id"] for _, body in receiver.requests] == [ids[0]] * 3 + ids[1:]
    assert [d.status for d in telegram.deliveries] == [500, 503, 200, 200, 200]
    assert receiver.most_in_flight == 1
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 503"
