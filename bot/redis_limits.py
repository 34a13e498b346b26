"""Rate-limit counts in Redis, shared by every worker, kept in this process's memory while
Redis is away (``bot.ratelimits`` describes the limits).

A module of its own so that a process without Redis never imports redis-py.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from limits.aio.storage import MemoryStorage, MovingWindowSupport, RedisStorage, Storage
from redis.asyncio import Redis

from bot.backends import REDIS_DOWN, RedisHealth
from bot.redis_pool import Trips

T = TypeVar("T")


def redis_storage(
    redis: Redis, url: str, prefix: str, health: RedisHealth, trips: Trips | None = None
) -> Storage:
    """Counts every worker shares, over the process's one Redis pool, kept in this process
    while Redis is away; with ``trips``, a moving window's places are asked for with the
    commands riding along (``RidingStorage``)."""
    options: dict[str, Any] = {"connection_pool": redis.connection_pool, "key_prefix": prefix}
    shared = (
        RedisStorage(f"async+{url}", implementation="redispy", wrap_exceptions=True, **options)
        if trips is None
        else RidingStorage(trips, f"async+{url}", **options)
    )
    return FallbackStorage(shared, health)


class RidingStorage(RedisStorage):
    """``limits``' Redis storage whose moving-window places are asked for through ``Trips``.

    The Telegram pace asks for a place right after a turn released its conversation's lock:
    the release rides with that request, one round trip for both. Same script, same keys as
    the library's own, so its window stats read what this storage counts.
    """

    STORAGE_SCHEME = None  # type: ignore[assignment]  # built here, never from a URL

    def __init__(self, trips: Trips, uri: str, **options: Any) -> None:
        super().__init__(uri, implementation="redispy", wrap_exceptions=True, **options)
        self._trips = trips

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take ``amount`` places in ``key``'s moving window, if ``limit`` leaves room."""
        bridge = self.bridge
        acquired = await self._trips.execute(
            "EVAL",
            bridge.SCRIPT_ACQUIRE_MOVING_WINDOW,
            1,
            bridge.prefixed_key(key),
            time.time(),
            limit,
            expiry,
            amount,
        )
        return bool(acquired)


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
