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
    commands riding along (``RedisClockStorage``)."""
    options: dict[str, Any] = {"connection_pool": redis.connection_pool, "key_prefix": prefix}
    return FallbackStorage(RedisClockStorage(f"async+{url}", redis, trips, **options), health)


_REDIS_NOW = "local clock = redis.call('TIME')\nlocal now = clock[1] + clock[2] / 1000000\n"
"""Lua: Redis's own clock, in seconds, at the moment the script runs."""


class RedisClockStorage(RedisStorage):
    """``limits``' Redis storage whose moving window is dated by Redis's clock.

    The library dates a place with the asking worker's clock, read before its request leaves:
    a request that then waits (a new connection, a busy event loop: 0.4-0.5 s on a loaded
    machine) takes a place dated before it was granted, and the place a second later opens
    that much early. Two workers each keeping a rate of 5 then had 10 messages arrive within
    0.7 s. Workers on other hosts have their own clocks too. The library's own scripts run
    here with Redis's clock put in for the caller's, read when the place is granted: places
    are dated in the order they were given, whoever asked. Same keys as the library's, so its
    window stats read what this storage counts.

    With ``trips``, a place is asked for through ``Trips``: the Telegram pace asks right after
    a turn released its conversation's lock, and the release rides with that request, one
    round trip for both.
    """

    STORAGE_SCHEME = None  # type: ignore[assignment]  # built here, never from a URL

    def __init__(self, uri: str, redis: Redis, trips: Trips | None = None, **options: Any) -> None:
        super().__init__(uri, implementation="redispy", wrap_exceptions=True, **options)
        self._redis = redis
        self._trips = trips
        self._acquire = (
            _REDIS_NOW + "ARGV[1] = now\n" + self.bridge.SCRIPT_ACQUIRE_MOVING_WINDOW.decode()
        )
        self._window = (
            _REDIS_NOW + "ARGV[1] = now - ARGV[1]\n" + self.bridge.SCRIPT_MOVING_WINDOW.decode()
        )

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Take ``amount`` places in ``key``'s moving window, if ``limit`` leaves room."""
        command = (
            "EVAL",
            self._acquire,
            1,
            self.bridge.prefixed_key(key),
            0,
            limit,
            expiry,
            amount,
        )
        if self._trips is not None:
            return bool(await self._trips.execute(*command))
        return bool(await self._redis.execute_command(*command))

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The oldest place in ``key``'s moving window (by Redis's clock) and the places in it."""
        window = await self._redis.execute_command(
            "EVAL", self._window, 1, self.bridge.prefixed_key(key), expiry, limit
        )
        if window:
            return float(window[0]), int(window[1])
        return time.time(), 0


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
