"""Rate-limit counts in Redis, shared by every worker, kept in this process's memory while
Redis is away (``bot.ratelimits`` describes the limits).

A module of its own so that a process without Redis never imports redis-py.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from limits.aio.storage import MemoryStorage, MovingWindowSupport, RedisStorage, Storage
from redis.asyncio import Redis

from bot.backends import REDIS_DOWN, RedisHealth

T = TypeVar("T")


def redis_storage(redis: Redis, url: str, prefix: str, health: RedisHealth) -> Storage:
    """Counts every worker shares, over the process's one Redis pool, kept in this process
    while Redis is away."""
    options: dict[str, Any] = {"connection_pool": redis.connection_pool}
    shared = RedisStorage(
        f"async+{url}",
        implementation="redispy",
        key_prefix=prefix,
        wrap_exceptions=True,
        **options,
    )
    return FallbackStorage(shared, health)


class FallbackStorage(Storage, MovingWindowSupport):
    """A ``limits`` storage: ``shared`` while Redis answers, this process's memory while not.

    Covers what the fixed-window limiter (the web chat's limits) and the moving-window one
    (Telegram's bot-wide pace) call.
    """

    STORAGE_SCHEME = None  # built here, never from a URL

    def __init__(self, shared: RedisStorage, health: RedisHealth) -> None:
        super().__init__()
        self._shared = shared
        self._local = MemoryStorage()
        self._health = health

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        """None: the shared storage's errors are handled inside."""
        return ()

    async def _either(self, call: Callable[[Any], Awaitable[T]]) -> T:
        if self._health.worth_trying():
            try:
                result = await call(self._shared)
            except REDIS_DOWN as error:
                self._health.failed(error)
            else:
                self._health.succeeded()
                return result
        return await call(self._local)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Count ``amount`` more hits of ``key``."""
        return await self._either(lambda s: s.incr(key, expiry, amount))

    async def get(self, key: str) -> int:
        """Hits of ``key`` in its window."""
        return await self._either(lambda s: s.get(key))

    async def get_expiry(self, key: str) -> float:
        """When ``key``'s window ends (epoch seconds)."""
        return await self._either(lambda s: s.get_expiry(key))

    async def check(self) -> bool:
        """Whether the storage in use answers."""
        return await self._either(lambda s: s.check())

    async def reset(self) -> int | None:
        """Forget every count."""
        return await self._either(lambda s: s.reset())

    async def clear(self, key: str) -> None:
        """Forget ``key``'s count."""
        await self._either(lambda s: s.clear(key))

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take ``amount`` places in ``key``'s moving window, if ``limit`` leaves room."""
        return await self._either(lambda s: s.acquire_entry(key, limit, expiry, amount))

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The start of ``key``'s moving window and the places taken in it."""
        return await self._either(lambda s: s.get_moving_window(key, limit, expiry))
