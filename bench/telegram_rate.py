"""Telegram's bot-wide rate: how close the sender comes to ``MOTCUA_TELEGRAM_GLOBAL_RATE``.

``python -m bench.telegram_rate [--seconds 10] [--rates 30,1000] [--redis-url URL]`` sends one
message to each of ``rate × seconds`` distinct chats at once through ``TelegramChannel.send``
against the fake Bot API server (``tests/fakes/telegram.py``), which refuses with 429 whatever
goes over the bot-wide limit (one message of margin). The pace lets a first second's burst
through at once, so the achieved rate is measured after it: messages sent after the first
``rate`` over the time they took. With ``--redis-url`` the pace is the one workers share in
Redis. CPU and peak memory are this process's, fake server included.

This measures the sending layer only; ``python -m bench.broadcast`` sends an announcement.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
import uuid

from bot.backends import RedisHealth
from bot.metrics import Metrics
from bot.redis_limits import redis_storage
from bot.redis_pool import shared_redis
from dialogs.messages import ConversationRef, Reply
from integrations.ordering import MemoryInbox
from integrations.telegram import BotPace, TelegramChannel
from tests.fakes.telegram import TOKEN, ChatLimit, FakeTelegram

FIRST_CHAT = 9_000_000_001


async def _nothing(_message: object) -> list[Reply]:
    return []


async def measure(rate: int, seconds: float, redis_url: str | None) -> dict[str, float]:
    """Send ``rate × seconds`` messages at once; the achieved steady rate and what it cost."""
    count = int(rate * seconds)
    redis = shared_redis(redis_url, max_connections=50, timeout=10) if redis_url else None
    pace = BotPace(rate)
    if redis is not None and redis_url:
        prefix = f"motcua-bench:{uuid.uuid4().hex[:8]}:"
        storage = redis_storage(redis, redis_url, prefix, RedisHealth(redis, Metrics()))
        pace = BotPace(rate, storage, "telegram")
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    async with FakeTelegram(bot_limit=ChatLimit(burst=rate + 1, per_second=rate)) as telegram:
        chats = [FIRST_CHAT + i for i in range(count)]
        for chat in chats:
            telegram.user(chat)
        channel = TelegramChannel(
            TOKEN, MemoryInbox(_nothing), api_url=telegram.url, pace=pace, receive=False
        )
        done: list[float] = []

        async def send(chat: int) -> None:
            await channel.send(ConversationRef("telegram", str(chat)), [Reply("Thông báo")])
            done.append(time.perf_counter())

        async with channel:
            started = time.perf_counter()
            await asyncio.gather(*(send(chat) for chat in chats))
        flooded, sent = len(telegram.flooded), len(telegram.sent)
    if redis is not None:
        await redis.aclose()
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    done.sort()
    burst_end = done[min(rate, count) - 1]
    steady = (count - rate) / (done[-1] - burst_end) if count > rate else float("nan")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return {
        "rate": rate,
        "messages": count,
        "sent": sent,
        "flooded": flooded,
        "achieved": steady,
        "elapsed": done[-1] - started,
        "cpu": cpu,
        "rss_mb": cpu_after.ru_maxrss / 1024,
    }


def main() -> None:
    """Print one row per configured rate."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rates", default="30,1000")
    parser.add_argument("--redis-url")
    args = parser.parse_args()
    where = "shared in Redis" if args.redis_url else "in this process"
    print(f"Telegram bot-wide pace {where}; {args.seconds:g} s of messages per rate")
    print(
        "| limit/s | messages | sent | 429s | achieved/s | of limit | elapsed s | CPU s | RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for rate in (int(r) for r in args.rates.split(",")):
        row = asyncio.run(measure(rate, args.seconds, args.redis_url))
        print(
            f"| {rate} | {row['messages']:.0f} | {row['sent']:.0f} | {row['flooded']:.0f} "
            f"| {row['achieved']:.1f} | {row['achieved'] / rate:.1%} | {row['elapsed']:.1f} "
            f"| {row['cpu']:.1f} | {row['rss_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
