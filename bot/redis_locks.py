"""Conversation locks in Redis, shared by every worker (``bot.locks`` describes the locks),
and this process's own while Redis is away (``FallbackLocks``).

A module of its own so that a process without Redis never imports redis-py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import RedisError

from bot.backends import REDIS_DOWN, RedisHealth
from bot.locks import LocalLocks, LockTimeout
from bot.redis_pool import Trips

logger = logging.getLogger(__name__)

POLL = 0.02
"""Seconds between two tries for a lock another holder has."""


class _Held:
    """A lock this process holds: its key, its owner's token, and its renewal."""

    def __init__(self, key: str, token: str, renewal: _Renewal) -> None:
        self.key = key
        self.token = token
        self.renewal = renewal


class _Renewal:
    """Gives a held lock its full expiry again every third of it until stopped.

    Started by a timer, not a task: nearly every turn ends long before its lock's first
    renewal is due, and cancelling a timer costs far less than a task, its event and its
    timeout for each message.
    """

    def __init__(self, redis: Redis, key: str, token: str, expire_ms: int) -> None:
        self._redis = redis
        self._key = key
        self._token = token
        self._expire_ms = expire_ms
        self._released = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._timer = asyncio.get_running_loop().call_later(self._every, self._start)

    @property
    def _every(self) -> float:
        return self._expire_ms / 3000

    def _start(self) -> None:
        self._task = asyncio.create_task(self._renew(), name="lock-renewal")

    async def _renew(self) -> None:
        while not self._released.is_set():
            try:
                renewed = await self._redis.eval(
                    Lock.LUA_REACQUIRE_SCRIPT, 1, self._key, self._token, self._expire_ms
                )
            except RedisError as error:  # Redis went away
                logger.warning("conversation lock not renewed: %s", type(error).__name__)
                return
            if not renewed:
                logger.warning("conversation lock not renewed: LockNotOwnedError")
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self._every)

    async def stop(self) -> None:
        """Stop renewing; returns once no renewal is under way."""
        self._timer.cancel()
        if self._task is not None:
            # Told to stop rather than cancelled: redis-py (8.2) can swallow the cancellation
            # of a renewal waiting for Redis, and the renewal then went on for ever, holding
            # the conversation on a live worker (seen under heavy load: chats never answered).
            self._released.set()
            await asyncio.shield(self._task)


def _released(said: Any) -> None:
    """What Redis answered a lock's release (1: freed; 0: no longer this holder's)."""
    if isinstance(said, Exception):  # Redis went away meanwhile: the lock expires by itself
        logger.warning("conversation lock not released: %s", type(said).__name__)
    elif not said:  # the work outlived the lock's expiry; the version check guards the data
        logger.warning("conversation lock expired before release")


class RedisLocks:
    """Redis locks shared by every worker, owned by a token and renewed while held.

    A lock is a key set only if absent, holding its owner's token, with an expiry (redis-py's
    ``Lock`` protocol and scripts); its release rides to Redis with the next command this
    process sends (``bot.redis_pool.Trips``), mostly the reply's place in Telegram's pace.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        trips: Trips | None = None,
        prefix: str = "motcua:lock:",
        expire: float = 10.0,
        wait: float = 30.0,
    ) -> None:
        """Locks under ``prefix``.

        Args:
            redis: the shared Redis.
            trips: the process's commands to Redis, which releases ride with (their own by
                default).
            expire: seconds a lock outlives a holder that stopped renewing it (a dead worker);
                the holder renews it every third of that.
            wait: seconds to wait for a lock before giving up with ``LockTimeout``; longer than
                ``expire``, so only a live holder that keeps it that long makes a waiter fail.
        """
        self._redis = redis
        self._trips = trips if trips is not None else Trips(redis)
        self._prefix = prefix
        self._expire_ms = int(expire * 1000)
        self._wait = wait

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the Redis lock for ``key``; raises LockTimeout after waiting ``wait`` seconds."""
        held = await self.acquire(key)
        try:
            yield
        finally:
            await self.release(held)

    async def acquire(self, key: str) -> _Held:
        """Take ``key``'s lock (hand it to ``release``); LockTimeout after ``wait`` seconds."""
        name, token = self._prefix + key, uuid.uuid4().hex
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self._wait
        while not await self._trips.execute("SET", name, token, "NX", "PX", self._expire_ms):
            # A short poll: a user tapping twice should not wait a tenth of a second per turn.
            if loop.time() + POLL > give_up:
                raise LockTimeout("conversation lock not acquired in time")
            await asyncio.sleep(POLL)
        return _Held(name, token, _Renewal(self._redis, name, token, self._expire_ms))

    async def release(self, held: _Held) -> None:
        """Stop renewing a lock ``acquire`` took, and free it with the next command sent."""
        await held.renewal.stop()
        self._trips.later(_released, "EVAL", Lock.LUA_RELEASE_SCRIPT, 1, held.key, held.token)


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
        if self._health.worth_trying():
            try:
                held = await self._shared.acquire(key)
            except REDIS_DOWN as error:
                self._health.failed(error)
            else:
                self._health.succeeded()
                try:
                    yield
                finally:
                    await self._shared.release(held)
                return
        async with self._local.hold(key):
            yield
