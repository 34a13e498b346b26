"""One conversation at a time: per-conversation locks, and message-id claims across workers.

In one process an ``asyncio.Lock`` per conversation is enough; several workers share Redis.
Locks only make conflicts rare: the conversation's version column still catches a write that
outlived its lock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import LockNotOwnedError

from dialogs.errors import MotcuaError

logger = logging.getLogger(__name__)


class LockTimeout(MotcuaError):
    """Another worker held a conversation for too long."""


class ConversationLocks(Protocol):
    """Mutual exclusion per conversation key (``ConversationRef.key``)."""

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold the lock for ``key`` for the duration of the ``async with`` block."""
        ...


@dataclass
class _Waiters:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    count: int = 0


class LocalLocks:
    """``asyncio.Lock`` per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, _Waiters] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the in-process lock for ``key``."""
        entry = self._locks.setdefault(key, _Waiters())
        entry.count += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.count -= 1
            if entry.count == 0:
                del self._locks[key]

    def __len__(self) -> int:
        """How many keys are held or awaited right now."""
        return len(self._locks)


class RedisLocks:
    """Redis locks shared by every worker; a lock expires by itself if its worker dies."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "motcua:lock:",
        expire: float = 30.0,
        wait: float = 30.0,
    ) -> None:
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
        try:
            yield
        finally:
            try:
                await lock.release()
            except LockNotOwnedError:
                # The work outlived the lock's expiry; the version check guards the data.
                logger.warning("conversation lock expired before release")


class RedisMessageClaims:
    """Platform message ids seen by any worker (SET NX with a TTL), for webhook deduplication."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "motcua:seen:",
        ttl: timedelta = timedelta(days=1),
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = ttl

    def _key(self, channel: str, message_id: str) -> str:
        return f"{self._prefix}{channel}:{message_id}"

    async def claim(self, channel: str, message_id: str) -> bool:
        """True the first time a (channel, message id) is claimed within the TTL."""
        return bool(
            await self._redis.set(self._key(channel, message_id), b"1", nx=True, ex=self._ttl)
        )

    async def release(self, channel: str, message_id: str) -> None:
        """Forget a claim whose processing failed, so the platform's redelivery is handled."""
        await self._redis.delete(self._key(channel, message_id))
