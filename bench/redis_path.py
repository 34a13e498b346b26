"""What a second worker adds to each message: CPU and Redis round trips of the shared layer.

``python -m bench.redis_path`` starts a ``redis-server`` of its own (so its counters hold this
run's commands alone) and runs, per message, what a worker does around a Telegram turn: hold
the conversation's lock (in Redis: taken, renewed while held, released) and take the reply's
place in the bot's rate over all chats (Telegram's pace, in Redis shared by every worker), wired
as ``bot.app`` wires them. The references, in the same run: the same done in one process (one
worker: in-process locks and pace), and the Redis path with the locks' releases sent without
the pace's requests (alone, or with each other). ``--concurrency`` turns run at once,
``--messages`` in a round, seven rounds a second apart (the pace allows 1,000 messages a
second, the most the setting takes); printed per path: this process's CPU microseconds a
message (least and median round) and the Redis round trips a message (the server's read
events: a pipeline arrives in one).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis

from bot.backends import RedisHealth
from bot.locks import LocalLocks
from bot.metrics import Metrics
from bot.redis_limits import redis_storage
from bot.redis_locks import FallbackLocks, RedisLocks
from bot.redis_pool import Trips, shared_redis
from dialogs.ports import SendPace
from integrations.telegram import BotPace
from tests.support.redis_server import RedisServer

RATE = 1000
ROUNDS = 7


class Locks(Protocol):
    """Per-conversation locks (``bot.locks.ConversationLocks``)."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold ``key``'s lock."""
        ...


async def rounds(locks: Locks, pace: SendPace, messages: int, concurrency: int) -> list[float]:
    """CPU microseconds a message of each round: a turn's lock, then its reply's place."""
    costs = []

    async def turns(keys: Iterator[int]) -> None:
        for n in keys:
            async with locks.hold(f"telegram:{n}"):
                await asyncio.sleep(0)  # the turn
            await pace.wait()

    for _ in range(ROUNDS):
        keys = iter(range(messages))
        began = time.process_time()
        await asyncio.gather(*(turns(keys) for _ in range(concurrency)))
        costs.append(1e6 * (time.process_time() - began) / messages)
        await asyncio.sleep(1.0)  # the pace's window empties
    return costs


async def reads(redis: Redis) -> int:
    """Read events the server has processed (each INFO adds one)."""
    return int((await redis.info("stats"))["total_reads_processed"])


async def redis_rounds(
    redis: Redis, url: str, args: argparse.Namespace, together: bool
) -> tuple[list[float], float]:
    """CPU of each round and round trips a message of the Redis path; ``together``: the locks'
    releases ride with the pace's requests (as ``bot.app`` wires them), else each goes alone."""
    health = RedisHealth(redis, Metrics())
    trips = Trips(redis)
    locks = FallbackLocks(RedisLocks(redis, trips=trips if together else Trips(redis)), health)
    storage = redis_storage(redis, url, "motcua:pace", health, trips)
    before = await reads(redis)
    costs = await rounds(locks, BotPace(RATE, storage, "telegram"), args.messages, args.concurrency)
    return costs, (await reads(redis) - before - 1) / (ROUNDS * args.messages)


async def main(argv: Sequence[str] | None = None) -> None:
    """Measure both paths and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.redis_path", description=__doc__)
    parser.add_argument("--messages", type=int, default=300, help="messages in a round")
    parser.add_argument("--concurrency", type=int, default=8, help="turns at once")
    args = parser.parse_args(argv)
    local = await rounds(LocalLocks(), BotPace(RATE), args.messages, args.concurrency)
    with tempfile.TemporaryDirectory(prefix="motcua-redis-path-") as folder:
        server = RedisServer(Path(folder) / "redis.log")
        await server.start()
        try:
            redis = shared_redis(server.url, max_connections=50, timeout=10)
            shared = [
                await redis_rounds(redis, server.url, args, together) for together in (False, True)
            ]
            await redis.aclose()
        finally:
            await server.stop()
    print(
        f"Around each Telegram turn: {args.concurrency} turns at once, "
        f"{ROUNDS} rounds of {args.messages} messages"
    )
    print(f"{'path':<40} {'CPU µs/msg (least, median)':>27} {'Redis round trips/msg':>22}")
    for name, costs, each in (
        ("in one process (one worker)", local, 0.0),
        ("Redis, releases without the pace", *shared[0]),
        ("Redis, releases riding with the pace", *shared[1]),
    ):
        spread = f"{min(costs):.0f}, {statistics.median(costs):.0f}"
        print(f"{name:<40} {spread:>27} {each:>22.2f}")


if __name__ == "__main__":
    asyncio.run(main())
