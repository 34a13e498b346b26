"""One conversation at a time: per-conversation locks.

In one process an ``asyncio.Lock`` per conversation is enough; several workers share Redis
(``bot.redis_locks``, imported only when Redis is configured), where a lock carries its
holder's token and a short expiry that the holder keeps renewing, so a worker that dies blocks
its users only until the expiry. While Redis is away a worker holds its locks in-process
(``bot.redis_locks.FallbackLocks``). Locks only make conflicts rare: the inbox takes one message
of a conversation at a time whatever the locks do, and the conversation's version column still
catches a write that outlived its lock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Protocol

from dialogs.errors import MotcuaError


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
