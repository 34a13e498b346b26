"""The Telegram channel in webhook mode: motcua's aiohttp route fed by the fake Bot API."""

from __future__ import annotations

import json

import aiohttp
import pytest
from fakes.telegram import SECRET_HEADER, FakeTelegram
from telegram_support import (
    ScriptedHandler,
    WebhookHost,
    check_one_chat_in_order_while_others_go_ahead,
)

from dialogs.errors import ConfigurationError
from integrations.telegram import WEBHOOK_PATH, TelegramChannel


async def test_start_registers_the_webhook_with_a_kept_secret(webhook_host: WebhookHost) -> None:
    telegram = webhook_host.telegram
    first = webhook_host.channel()
    await webhook_host.serve(first)
    async with first:
        assert telegram.webhook is not None
        assert telegram.webhook.url == webhook_host.url + WEBHOOK_PATH
        assert telegram.webhook.allowed_updates == ["message", "callback_query", "my_chat_member"]
        secret = telegram.webhook.secret_token
    assert secret and len(secret) >= 32
    assert webhook_host.secrets.values == {"telegram.webhook_secret": secret}

    async with webhook_host.channel():  # a restart keeps the secret Telegram already has
        assert telegram.webhook.secret_token == secret


async def test_a_configured_secret_is_used_as_is(webhook_host: WebhookHost) -> None:
    async with webhook_host.channel(webhook_secret="motcua_Secret-123"):
        assert webhook_host.telegram.webhook is not None
        assert webhook_host.telegram.webhook.secret_token == "motcua_Secret-123"
    assert webhook_host.secrets.values == {}


def test_a_secret_telegram_would_refuse_is_rejected_up_front(webhook_host: WebhookHost) -> None:
    with pytest.raises(ValueError, match="1-256 characters"):
        webhook_host.channel(webhook_secret="có dấu")


async def test_a_conversation_over_the_webhook(
    webhook: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an = telegram.user()
    an.send("menu")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    press = an.press(an.messages[0], "Đăng ký khai sinh")
    await telegram.wait_for(lambda: len(an.messages) == 2)
    assert an.messages[1].text == "Bạn chọn: proc:1.001193"
    assert [a["callback_query_id"] for a in telegram.answered] == [press["callback_query"]["id"]]
    assert {d.status for d in telegram.deliveries} == {200}
    assert telegram.calls_of("getUpdates") == []
    assert handler.seen[0].locale == "vi"


async def test_a_duplicate_delivery_is_processed_once(
    webhook: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an = telegram.user()
    update = an.send("mot lan thoi")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    telegram.redeliver(update)
    await telegram.wait_for(lambda: len(telegram.deliveries) == 2)
    await webhook.join()
    assert [d.status for d in telegram.deliveries] == [200, 200]
    assert handler.texts == ["mot lan thoi"]
    assert len(an.messages) == 1


async def test_one_chat_in_order_while_other_chats_go_ahead(
    webhook: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    await check_one_chat_in_order_while_others_go_ahead(telegram, handler)


async def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as r,
    ):
        return r.status


async def test_a_forged_or_missing_secret_gets_403_and_nothing_happens(
    webhook: TelegramChannel,
    webhook_host: WebhookHost,
    telegram: FakeTelegram,
    handler: ScriptedHandler,
) -> None:
    an = telegram.user()
    update = {
        "update_id": 1,
        "message": {"message_id": 1, "date": 0, "chat": an.chat, "from": an.json, "text": "hi"},
    }
    url = webhook_host.url + WEBHOOK_PATH
    body = json.dumps(update).encode()
    plain = {"Content-Type": "application/json"}
    assert await _post(url, body, plain | {SECRET_HEADER: "forged"}) == 403
    assert await _post(url, body, plain) == 403
    await webhook.join()
    assert handler.seen == []
    assert telegram.sent == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", b'{"hello": "world"}', b'{"update_id": "x"}', "ơ".encode("utf-16")],
)
async def test_a_body_that_is_not_an_update_gets_400(
    body: bytes,
    webhook: TelegramChannel,
    webhook_host: WebhookHost,
    telegram: FakeTelegram,
    handler: ScriptedHandler,
) -> None:
    assert telegram.webhook is not None and telegram.webhook.secret_token
    headers = {"Content-Type": "application/json", SECRET_HEADER: telegram.webhook.secret_token}
    assert await _post(webhook_host.url + WEBHOOK_PATH, body, headers) == 400
    await webhook.join()
    assert handler.seen == []


async def test_the_route_answers_503_until_the_channel_runs(webhook_host: WebhookHost) -> None:
    channel = webhook_host.channel()
    await webhook_host.serve(channel)
    status = await _post(webhook_host.url + WEBHOOK_PATH, b"{}", {SECRET_HEADER: "x"})
    assert status == 503  # Telegram retries, so nothing is lost while motcua starts


async def test_a_refused_webhook_is_a_configuration_error(webhook_host: WebhookHost) -> None:
    webhook_host.telegram.fail(
        "setWebhook", 400, "Bad Request: bad webhook: HTTPS url must be provided for webhook"
    )
    with pytest.raises(ConfigurationError, match=r"(?i)https url must be provided"):
        await webhook_host.channel().start()
