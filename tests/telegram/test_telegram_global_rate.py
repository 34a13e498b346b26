"""The bot's messages over all its chats keep Telegram's bot-wide rate
(``MOTCUA_TELEGRAM_GLOBAL_RATE``): in one worker, and, through Redis, in several together.

The fake server refuses with 429 whatever goes over its bot-wide bucket, which allows a
second's messages more than the bot's own rate: a busy machine that holds some requests back
for up to a second, so that they arrive together with later ones, never decides the outcome,
while a worker that ignored the rate (fifteen at once) or two workers each keeping it alone
(ten a second together) still overflow it. Only what arrived and what was refused is
asserted, never how long it took.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

import pytest
from fakes.telegram import TOKEN, ChatLimit, FakeTelegram
from redis.asyncio import Redis
from storage.databases import redis, redis_prefix  # noqa: F401
from support.waiting import eventually
from telegram_support import ScriptedHandler

from bot.app import telegram_pace
from bot.backends import RedisHealth
from bot.config import Settings
from bot.metrics import Metrics
from bot.redis_limits import redis_storage
from bot.redis_locks import RedisLocks
from bot.redis_pool import Trips
from dialogs.messages import ConversationRef, Reply
from dialogs.ports import SendPace
from integrations.ordering import MemoryInbox
from integrations.telegram import BotPace, TelegramChannel

RATE = 5  # messages a second over all chats, on both sides; fast so the tests stay quick


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(bot_limit=ChatLimit(burst=2 * RATE, per_second=RATE)) as server:
        yield server


def _channel(telegram: FakeTelegram, handler: ScriptedHandler, pace: SendPace) -> TelegramChannel:
    # flood_retries=0: a refusal is not hidden by a retry, so the test sees every flood.
    return TelegramChannel(
        TOKEN,
        MemoryInbox(handler),
        api_url=telegram.url,
        poll_timeout=1,
        flood_retries=0,
        pace=pace,
        receive=False,
    )


async def _announce(telegram: FakeTelegram, channel: TelegramChannel, chats: range) -> None:
    for chat in chats:
        telegram.user(chat)
    await asyncio.gather(
        *(channel.send(ConversationRef("telegram", str(c)), [Reply(f"Tin {c}")]) for c in chats)
    )


async def test_one_worker_keeps_the_bot_wide_rate(
    telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    async with _channel(telegram, handler, BotPace(RATE)) as channel:
        # Three seconds' worth of messages at once.
        await _announce(telegram, channel, range(7_000_001, 7_000_016))

    assert telegram.flooded == []
    assert sorted(m.chat_id for m in telegram.sent) == list(range(7_000_001, 7_000_016))


class _AfterATurn:
    """The pace as a worker meets it: asked right after a turn freed its conversation's lock,
    whose release rides to Redis with the pace's request."""

    def __init__(self, pace: SendPace, locks: RedisLocks) -> None:
        self._pace = pace
        self._locks = locks
        self._turns = itertools.count()

    async def wait(self) -> None:
        async with self._locks.hold(f"telegram:{next(self._turns)}"):
            await asyncio.sleep(0)
        await self._pace.wait()


@pytest.mark.redis
@pytest.mark.parametrize("after_turns", [False, True], ids=["alone", "after-turns"])
async def test_two_workers_share_one_allowance_through_redis(
    telegram: FakeTelegram,
    handler: ScriptedHandler,
    redis: Redis,  # noqa: F811
    redis_url: str,
    redis_prefix: str,  # noqa: F811
    after_turns: bool,
) -> None:
    health = RedisHealth(redis, Metrics())
    paces: list[SendPace] = []
    for worker in "ab":
        if not after_turns:
            paces.append(BotPace(RATE, redis_storage(redis, redis_url, redis_prefix, health), "t"))
            continue
        trips = Trips(redis)  # what the app shares between a worker's locks and its pace
        locks = RedisLocks(redis, trips=trips, prefix=f"{redis_prefix}lock:{worker}:", expire=60)
        storage = redis_storage(redis, redis_url, redis_prefix, health, trips)
        paces.append(_AfterATurn(BotPace(RATE, storage, "t"), locks))
    async with (
        _channel(telegram, handler, paces[0]) as first,
        _channel(telegram, handler, paces[1]) as second,
    ):
        await asyncio.gather(
            _announce(telegram, first, range(7_100_001, 7_100_011)),
            _announce(telegram, second, range(7_200_001, 7_200_011)),
        )

    # Each worker alone keeping the rate would have sent twice as fast as the bot may.
    assert telegram.flooded == []
    assert len(telegram.sent) == 20

    async def locks_freed() -> bool:  # released long before their minute's expiry
        return await redis.keys(f"{redis_prefix}lock:*") == []

    await eventually(locks_freed, within=5)


def test_the_setting_picks_the_pace() -> None:
    assert isinstance(telegram_pace(Settings.from_env({}), None, None), BotPace)
    with pytest.raises(ValueError, match="MOTCUA_TELEGRAM_GLOBAL_RATE must be a number from 1"):
        Settings.from_env({"MOTCUA_TELEGRAM_GLOBAL_RATE": "1001"})
    assert Settings.from_env({"MOTCUA_TELEGRAM_GLOBAL_RATE": "1000"}).telegram_global_rate == 1000
    assert Settings.from_env({}).telegram_global_rate == 30
