"""Two Telegram channels on one database, as two workers behind a load balancer: a long
button sent by one resolves on the other, a block seen by one is known to the other, and both
accept the one webhook secret Telegram was given. Each channel has its own engine and pool, as
a separate process would; ``tests/workers`` repeats the secret check with real processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fakes.telegram import TOKEN, FakeTelegram
from telegram_support import LONG_PAYLOAD, ScriptedHandler, WebhookHost

from bot.storage.database import Database
from bot.storage.platform_state import SqlButtonPayloads, SqlUnreachableUsers
from bot.storage.secrets import SqlSecretStore
from dialogs.errors import RecipientUnavailable
from dialogs.messages import ConversationRef, Reply
from integrations.ordering import MemoryInbox
from integrations.telegram import WEBHOOK_PATH, TelegramChannel


class Worker:
    """One worker's Telegram channel, served on its own port with its own database engine."""

    def __init__(self, telegram: FakeTelegram, handler: ScriptedHandler, url: str) -> None:
        self.host = WebhookHost(telegram, handler)
        self.database = Database(url)
        self.channel = TelegramChannel(
            TOKEN,
            MemoryInbox(handler),
            api_url=telegram.url,
            public_url=self.host.url,
            secrets=SqlSecretStore(self.database),
            payloads=SqlButtonPayloads(self.database),
            unreachable=SqlUnreachableUsers(self.database, "telegram"),
        )

    async def start(self) -> None:
        await self.host.serve(self.channel)
        await self.channel.start()

    async def stop(self) -> None:
        await self.channel.stop()
        await self.host.close()
        await self.database.dispose()


@pytest.fixture
async def workers(
    telegram: FakeTelegram, handler: ScriptedHandler, database_url: str
) -> AsyncIterator[list[Worker]]:
    """Two workers started at the same moment."""
    pair = [Worker(telegram, handler, database_url) for _ in range(2)]
    await asyncio.gather(*(worker.start() for worker in pair))
    try:
        yield pair
    finally:
        await asyncio.gather(*(worker.stop() for worker in pair))


def route_to(telegram: FakeTelegram, worker: Worker) -> None:
    """Send Telegram's next webhook calls to ``worker``, as a load balancer may."""
    assert telegram.webhook is not None
    telegram.webhook.url = worker.host.url + WEBHOOK_PATH


async def test_both_accept_the_secret_telegram_keeps(
    telegram: FakeTelegram, workers: list[Worker]
) -> None:
    for n, worker in enumerate(workers):
        route_to(telegram, worker)
        user = telegram.user(5_560_000 + n)
        update = user.send("xin chao")
        assert await telegram.answers_to(update) == {200}
        await telegram.wait_for(lambda u=user: bool(u.messages))


async def test_a_long_button_sent_by_one_resolves_on_the_other(
    telegram: FakeTelegram, workers: list[Worker], handler: ScriptedHandler
) -> None:
    first, second = workers
    an = telegram.user()
    route_to(telegram, first)
    an.send("nut dai")
    await telegram.wait_for(lambda: len(an.messages) == 1)
    route_to(telegram, second)
    an.press(an.messages[0], "Đã có")
    await telegram.wait_for(lambda: len(an.messages) == 2)
    assert handler.seen[-1].payload == LONG_PAYLOAD


async def test_a_block_seen_by_one_is_known_to_the_other(
    telegram: FakeTelegram, workers: list[Worker]
) -> None:
    first, second = workers
    an = telegram.user()
    ref = ConversationRef("telegram", str(an.id))
    route_to(telegram, first)
    block = an.block()
    await telegram.wait_for(
        lambda: any(
            d.update_id == block["update_id"] and d.status == 200 for d in telegram.deliveries
        )
    )
    await first.channel.join()
    with pytest.raises(RecipientUnavailable):
        await second.channel.send(ref, [Reply("Nhắc lịch hẹn")])
    assert telegram.calls_of("sendMessage") == []  # known unreachable: not even tried

    an.unblock()
    await telegram.wait_for(lambda: len(telegram.deliveries) >= 2)
    await first.channel.join()
    await second.channel.send(ref, [Reply("Nhắc lịch hẹn")])
    assert an.messages[-1].text == "Nhắc lịch hẹn"
