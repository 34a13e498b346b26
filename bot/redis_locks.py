"""Conversation locks in Redis, shared by every worker (``bot.locks`` describes the locks).

A module of its own so that a process without Redis never imports redis-py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, LockNotOwnedError

from bot.locks import LockTimeout

logger = logging.getLogger(__name__)


class RedisLocks:
    """Redis locks shared by every worker, owned by a token and renewed while held."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "motcua:lock:",
        expire: float = 10.0,
        wait: float = 30.0,
    ) -> None:
        """Locks under ``prefix``.

        Args:
            redis: the shared Redis.
            expire: seconds a lock outlives a holder that stopped renewing it (a dead worker);
                the holder renews it every third of that.
            wait: seconds to wait for a lock before giving up with ``LockTimeout``; longer than
                ``expire``, so only a live holder that keeps it that long makes a waiter fail.
        """
        self._redis = redis
        self._prefix = prefix
        self._expire = expire
        self._wait = wait

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the Redis lock for ``key``; raises LockTimeout after waiting ``wait`` seconds."""
        # A short poll: a user tapping twice should not wait a tenth of a second per turn.
        lock = self._redis.lock(
            self._prefix + key, timeout=self._expire, blocking_timeout=self._wait, sleep=0.02
        )
        if not await lock.acquire():
            raise LockTimeout("conversation lock not acquired in time")
        renewing = asyncio.create_task(self._renew(lock))
        try:
            yield
        finally:
            renewing.cancel()
            await asyncio.gather(renewing, return_exceptions=True)
            try:
                await lock.release()
            except LockNotOwnedError:
                # The work outlived the lock's expiry; the version check guards the data.
                logger.warning("conversation lock expired before release")

    async def _renew(self, lock: Lock) -> None:
        """Give the lock its full expiry again, every third of it, while it is held."""
        while True:
            await asyncio.sleep(self._expire / 3)
            try:
                await lock.reacquire()
            except LockError as error:
                logger.warning("conversation lock not renewed: %s", type(error).__name__)
                return
