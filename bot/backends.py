"""When Redis does not answer: each worker keeps its locks and limits in its own memory.

Redis only makes several workers agree (locks, rate limits, Telegram's sending budget); the
messages themselves wait in the database's inbox. So while Redis is away a worker goes on
answering with in-process locks and limits (``RedisHealth``), says so once, counts every failed
call in ``/metrics``, and goes back to Redis when it answers again. (A database that is away is
answered 503 with ``Retry-After`` instead: ``bot.server``.)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from limits.errors import StorageError
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.metrics import Metrics

logger = logging.getLogger(__name__)

REDIS = "redis"
REDIS_DOWN: tuple[type[Exception], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    StorageError,  # the ``limits`` library's wrapper of the same errors
    OSError,
)
"""Redis did not answer (refused, reset, timed out, or no pooled connection came free)."""


class RedisHealth:
    """Whether this process's Redis answers, shared by everything that uses it.

    After a failure the callers use their in-process fallback and try Redis again only every
    ``retry`` seconds, so a Redis that is away costs one refused connection per interval, not
    one per message. Going away and coming back are logged once each and shown in ``/metrics``;
    a worker that gets no work meanwhile learns Redis is back when it is checked (``/healthz``,
    ``/metrics``).
    """

    def __init__(
        self,
        redis: Redis,
        metrics: Metrics,
        *,
        retry: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._redis = redis
        self._metrics = metrics
        self._retry = retry
        self._clock = clock
        self._last_failure: float | None = None
        metrics.degraded(REDIS, False)

    @property
    def degraded(self) -> bool:
        """True while the callers keep their state in this process."""
        return self._last_failure is not None

    async def check(self) -> None:
        """While Redis is away, see whether it answers again (once a ``retry`` interval)."""
        if not self.degraded or not self.worth_trying():
            return
        try:
            await self._redis.ping()
        except REDIS_DOWN as error:
            self.failed(error)
        else:
            self.succeeded()

    def worth_trying(self) -> bool:
        """Whether to call Redis now: always while it answers, else once a ``retry`` interval."""
        return self._last_failure is None or self._clock() - self._last_failure >= self._retry

    def failed(self, error: BaseException) -> None:
        """Redis did not answer: count it, and say so the first time."""
        self._metrics.backend_failed(REDIS)
        if self._last_failure is None:
            logger.warning(
                "Redis unavailable (%s): locks and rate limits kept in this process until it "
                "answers again",
                type(error).__name__,
            )
            self._metrics.degraded(REDIS, True)
        self._last_failure = self._clock()

    def succeeded(self) -> None:
        """Redis answered: if it had been away, say it is back."""
        if self._last_failure is not None:
            logger.warning("Redis answers again: locks and rate limits shared again")
            self._metrics.degraded(REDIS, False)
            self._last_failure = None
