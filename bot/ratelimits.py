"""Rate limits with the ``limits`` library: in memory for one process, in Redis for many.

A fixed-window counter per (limit, key): one counter a key, and the same Retry-After from memory
and from Redis (the window's end). With Redis the counts are shared, so a client spreading
requests over several workers gets no more; while Redis is away each worker counts in its own
memory (``FallbackStorage``), so nobody is refused or answered 500 for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, MovingWindowSupport, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter
from redis.asyncio import Redis

from bot.backends import REDIS_DOWN, RedisHealth
from dialogs.ports import Limit

T = TypeVar("T")

DEFAULT_LIMITS: Mapping[Limit, str] = {
    Limit.WEB_ADDRESS: "600/minute",
    Limit.WEB_IDENTITY: "60/minute",
    Limit.LINK_ADDRESS: "20/hour",
    Limit.STAFF_LOGIN: "30/hour",
}
"""Generous for people (a page polls every 5 s; several people may share one address behind a
carrier's NAT), far too few for a script."""


def parse_limit(name: str, value: str) -> RateLimitItem:
    """A limit such as ``60/minute``; raises ValueError naming the setting otherwise."""
    try:
        return parse(value)
    except ValueError:
        raise ValueError(
            f"{name} must be a rate such as 60/minute or 20/hour (got {value!r})"
        ) from None


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


class LimitsRateLimiter:
    """The ``RateLimiter`` port on the ``limits`` library."""

    def __init__(
        self,
        limits: Mapping[Limit, str],
        storage: Storage,
        on_refused: Callable[[Limit], None] | None = None,
    ) -> None:
        """Count ``limits`` (each a rate such as ``60/minute``) in ``storage``.

        ``on_refused`` is told of every refusal (``/metrics`` counts them).
        """
        self._items = {limit: parse_limit(limit.value, rate) for limit, rate in limits.items()}
        self._strategy = FixedWindowRateLimiter(storage)
        self._on_refused = on_refused

    @classmethod
    def in_memory(
        cls,
        limits: Mapping[Limit, str] = DEFAULT_LIMITS,
        on_refused: Callable[[Limit], None] | None = None,
    ) -> LimitsRateLimiter:
        """Counts kept in this process: right for one worker."""
        return cls(limits, MemoryStorage(), on_refused)

    @classmethod
    def in_redis(
        cls,
        limits: Mapping[Limit, str],
        redis: Redis,
        url: str,
        health: RedisHealth,
        prefix: str = "motcua:limits",
        on_refused: Callable[[Limit], None] | None = None,
    ) -> LimitsRateLimiter:
        """Counts every worker shares, over the process's one Redis pool (in memory while
        Redis is away)."""
        return cls(limits, redis_storage(redis, url, prefix, health), on_refused)

    async def hit(self, limit: Limit, key: str) -> int:
        """Count one request for ``key``: 0 when allowed, else whole seconds to wait."""
        item = self._items[limit]
        if await self._strategy.hit(item, key):
            return 0
        if self._on_refused is not None:
            self._on_refused(limit)
        stats = await self._strategy.get_window_stats(item, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
