"""Conversation locks in Redis, shared by every worker (``bot.locks`` describes the locks),
and this process's own while Redis is away (``FallbackLocks``).

A module of its own so that a process without Redis never imports redis-py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockNotOwnedError, RedisError

from bot.backends import REDIS_DOWN, RedisHealth
from bot.locks import LocalLocks, LockTimeout

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
        released = asyncio.Event()
        renewing = asyncio.create_task(self._renew(lock, released))
        try:
            yield
        finally:
            # Told to stop rather than cancelled: redis-py (8.2) can swallow the cancellation
            # of a renewal waiting for Redis, and the renewal then went on for ever, holding
            # the conversation on a live worker (seen under heavy load: chats never answered).
            released.set()
            await asyncio.shield(renewing)
            try:
                await lock.release()
            except LockNotOwnedError:
                # The work outlived the lock's expiry; the version check guards the data.
                logger.warning("conversation lock expired before release")
            except RedisError as error:  # Redis went away meanwhile: the lock expires by itself
                logger.warning("conversation lock not released: %s", type(error).__name__)

    async def _renew(self, lock: Lock, released: asyncio.Event) -> None:
        """Give the lock its full expiry again, every third of it, until ``released``."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(released.wait(), self._expire / 3)
            if released.is_set():
                return
            try:
                await lock.reacquire()
            except RedisError as error:  # lost, or Redis went away
                logger.warning("conversation lock not renewed: %s", type(error).__name__)
                return


class FallbackLocks:
    """Redis locks while Redis answers, this process's own while it does not.

    During an outage two workers may each hold a conversation's lock; the inbox still gives
    one worker a conversation's message at a time, so a citizen is answered (in order) instead
    of waiting for Redis.
    """

    def __init__(self, shared: RedisLocks, health: RedisHealth) -> None:
        self._shared = shared
        self._local = LocalLocks()
        self._health = health

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold ``key``'s lock in Redis, or in this process while Redis is away."""
        async with AsyncExitStack() as stack:
            await self._enter(stack, key)
            yield

    async def _enter(self, stack: AsyncExitStack, key: str) -> None:
        if self._health.worth_trying():
            try:
                await stack.enter_async_context(self._shared.hold(key))
            except REDIS_DOWN as error:
                self._health.failed(error)
            else:
                self._health.succeeded()
                return
        await stack.enter_async_context(self._local.hold(key))
