"""Rate limits with the ``limits`` library: in memory for one process, in Redis for many.

A fixed-window counter per (limit, key): one counter a key, and the same Retry-After from memory
and from Redis (the window's end). With Redis (``bot.redis_limits``, imported only when Redis is
configured) the counts are shared, so a client spreading requests over several workers gets no
more; while Redis is away each worker counts in its own memory, so nobody is refused or answered
500 for it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter

from dialogs.ports import Limit

DEFAULT_LIMITS: Mapping[Limit, str] = {
    Limit.WEB_ADDRESS: "600/minute",
    Limit.WEB_IDENTITY: "60/minute",
    Limit.WEB_HISTORY: "120/minute",
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


class LimitsRateLimiter:
    """The ``RateLimiter`` port on the ``limits`` library."""

    def __init__(
        self,
        limits: Mapping[Limit, str],
        storage: Storage,
        on_refused: Callable[[Limit], None] | None = None,
    ) -> None:
        """Count ``limits`` (each a rate such as ``60/minute``) in ``storage`` (shared by every
        worker: ``bot.redis_limits.redis_storage``).

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

    async def hit(self, limit: Limit, key: str) -> int:
        """Count one request for ``key``: 0 when allowed, else whole seconds to wait."""
        item = self._items[limit]
        # The limit's name is part of the count's key: two limits of the same rate counted for
        # the same key (an identity's messages and its history reads) must not share a count.
        if await self._strategy.hit(item, limit.value, key):
            return 0
        if self._on_refused is not None:
            self._on_refused(limit)
        stats = await self._strategy.get_window_stats(item, limit.value, key)
        return max(1, math.ceil(stats.reset_time - time.time()))
