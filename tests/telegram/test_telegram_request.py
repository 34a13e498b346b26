"""python-telegram-bot on motcua's aiohttp request layer, against the fake Bot API: texts with
keyboards, photos and documents uploaded as multipart and fetched back, Telegram's errors as
PTB's exceptions, and the timeouts of each phase."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from fakes.telegram import TOKEN, FakeTelegram
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bench.workers import free_port
from dialogs.errors import RateLimited, TemporaryFailure
from integrations.telegram.errors import translate
from integrations.telegram.request import AiohttpRequest

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40  # every byte value, past one read's worth
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8 + b"\xff\xd9"
PARAMS = {"chat_id": 1, "text": "xin chào"}


def aiohttp_bot(url: str, request: AiohttpRequest | None = None) -> Bot:
    """A PTB bot whose calls all go through :class:`AiohttpRequest`."""
    return Bot(
        TOKEN,
        base_url=f"{url}/bot",
        base_file_url=f"{url}/file/bot",
        request=request or AiohttpRequest(),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with aiohttp_bot(telegram.url) as client:
        yield client


async def test_a_text_with_a_keyboard_arrives_as_sent(telegram: FakeTelegram, bot: Bot) -> None:
    an = telegram.user()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Có", callback_data="cl:have")]])
    text = "<b>Giấy khai sinh</b> &amp; tờ khai"
    sent = await bot.send_message(an.id, text, parse_mode="HTML", reply_markup=markup)
    assert sent.message_id == an.messages[0].message_id
    assert an.messages[0].text == "Giấy khai sinh & tờ khai"
    assert an.messages[0].bold == ["Giấy khai sinh"]
    assert an.messages[0].labels == ["Có"]
    assert an.messages[0].buttons[0]["callback_data"] == "cl:have"


async def test_a_photo_goes_up_as_multipart_and_comes_back_byte_for_byte(
    telegram: FakeTelegram, bot: Bot
) -> None:
    an = telegram.user()
    sent = await bot.send_photo(an.id, JPEG, caption="Ảnh chụp tờ khai")
    upload = telegram.calls_of("sendPhoto")[0]
    assert upload["photo"]["data"] == JPEG
    assert upload["caption"] == "Ảnh chụp tờ khai"
    assert an.messages[0].text == "Ảnh chụp tờ khai"
    found = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await found.download_as_bytearray()) == JPEG


async def test_a_document_keeps_its_name_and_bytes(telegram: FakeTelegram, bot: Bot) -> None:
    an = telegram.user()
    sent = await bot.send_document(an.id, PDF, filename="to-khai.pdf")
    upload = telegram.calls_of("sendDocument")[0]["document"]
    assert (upload["filename"], upload["content_type"]) == ("to-khai.pdf", "application/pdf")
    assert sent.document is not None and sent.document.file_name == "to-khai.pdf"
    found = await bot.get_file(sent.document.file_id)
    assert bytes(await found.download_as_bytearray()) == PDF
    again = await bot.send_document(an.id, sent.document.file_id)  # a file_id, not an upload
    assert again.document is not None and again.document.file_size == len(PDF)


async def test_a_flood_reply_keeps_the_wait_telegram_asked_for(
    telegram: FakeTelegram, bot: Bot
) -> None:
    an = telegram.user()
    telegram.flood(retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(an.id, "xin chào")
    translated = translate(caught.value)
    assert isinstance(translated, RateLimited) and translated.retry_after == 7
    await bot.send_message(an.id, "xin chào")
    assert [m.text for m in an.messages] == ["xin chào"]


@pytest.mark.parametrize(
    ("code", "description"),
    [(500, "Internal Server Error"), (502, "Bad Gateway"), (503, "Service Unavailable")],
)
async def test_a_server_error_is_a_network_error_worth_retrying(
    telegram: FakeTelegram, bot: Bot, code: int, description: str
) -> None:
    an = telegram.user()
    telegram.fail("sendMessage", code, description)
    with pytest.raises(NetworkError, match=description) as caught:
        await bot.send_message(an.id, "xin chào")
    assert isinstance(translate(caught.value), TemporaryFailure)


async def test_refusals_are_the_errors_ptb_names(telegram: FakeTelegram, bot: Bot) -> None:
    an = telegram.user()
    telegram.blocked.add(an.id)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(an.id, "xin chào")
    with pytest.raises(BadRequest, match="There is no photo in the request"):
        await bot.send_photo(an.id, "no-such-file-id")


async def test_no_server_is_a_network_error_without_the_token() -> None:
    with pytest.raises(NetworkError) as caught:
        async with aiohttp_bot(f"http://127.0.0.1:{free_port()}"):
            pass
    assert "aiohttp.ClientConnectorError" in caught.value.message
    assert TOKEN not in caught.value.message and caught.value.__cause__ is None


@pytest.fixture
async def silent_api() -> AsyncIterator[str]:
    """A Bot API that takes calls and answers none of them until the test is over."""
    over = asyncio.Event()

    async def hang(_request: web.Request) -> web.Response:
        await over.wait()
        return web.Response()

    app = web.Application()
    app.router.add_route("*", "/{path:.*}", hang)
    runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    over.set()
    await runner.cleanup()


async def call(request: AiohttpRequest, api: str, **timeouts: float) -> None:
    """One ``sendMessage`` straight through the layer, as PTB's ``Bot`` makes it."""
    data = RequestData([RequestParameter.from_input(k, v) for k, v in PARAMS.items()])
    await request.post(f"{api}/bot{TOKEN}/sendMessage", data, **timeouts)


async def test_a_silent_server_times_out_after_the_read_timeout(silent_api: str) -> None:
    async with AiohttpRequest(read_timeout=0.3) as request:
        began = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):
            await call(request, silent_api)
        assert 0.3 <= asyncio.get_running_loop().time() - began < 2
        began = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut):  # a call's own timeout wins over the default
            await call(request, silent_api, read_timeout=0.1)
        assert asyncio.get_running_loop().time() - began < 0.3


async def test_a_full_pool_times_out_after_the_pool_timeout(silent_api: str) -> None:
    async with AiohttpRequest(connection_pool_size=1, read_timeout=3, pool_timeout=0.2) as request:
        holding = asyncio.create_task(call(request, silent_api))
        await asyncio.sleep(0.1)
        began = asyncio.get_running_loop().time()
        with pytest.raises(TimedOut, match="Pool timeout") as caught:
            await call(request, silent_api)
        assert asyncio.get_running_loop().time() - began < 1  # well before the read timeout
        assert "not sent" in caught.value.message
        holding.cancel()
        await asyncio.gather(holding, return_exceptions=True)


async def test_the_layer_opens_again_after_a_shutdown(telegram: FakeTelegram) -> None:
    an = telegram.user()
    request = AiohttpRequest()
    for text in ("lần một", "lần hai"):
        async with aiohttp_bot(telegram.url, request) as bot:
            await bot.send_message(an.id, text)
    assert [m.text for m in an.messages] == ["lần một", "lần hai"]
