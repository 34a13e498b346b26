"""Update flow helpers: per-chat sequential queues, and a window of recently seen update ids."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class ChatQueues(Generic[Item]):
    """Runs ``work`` on items one at a time per key, with a worker task only while busy.

    A citizen who types two messages quickly must get the answer to the first one first, while
    a slow answer for one citizen must not hold up everybody else; so each key gets its own
    FIFO and a worker that exists only while that FIFO has items.
    """

    def __init__(self, work: Callable[[Item], Awaitable[None]]) -> None:
        self._work = work
        self._pending: dict[Hashable, deque[Item]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def submit(self, key: Hashable, item: Item) -> None:
        """Queue ``item`` behind everything already queued for ``key``."""
        pending = self._pending.get(key)
        if pending is not None:
            pending.append(item)
            return
        self._pending[key] = deque([item])
        worker = asyncio.create_task(self._drain(key), name="telegram-chat-worker")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    @property
    def busy(self) -> bool:
        """Whether any item is queued or being worked on."""
        return bool(self._workers)

    async def join(self) -> None:
        """Wait until every queued item has been worked on (used on shutdown)."""
        while self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)

    async def _drain(self, key: Hashable) -> None:
        pending = self._pending[key]
        try:
            while pending:
                item = pending.popleft()
                try:
                    await self._work(item)
                except Exception as exc:  # one failed update must not stall the chat
                    log.error("telegram update failed: %s", type(exc).__name__)
        finally:
            del self._pending[key]


class RecentIds:
    """The last ``capacity`` ids seen, to drop an update Telegram delivers twice.

    Webhook and polling delivery are both at-least-once; a repeat usually follows within
    seconds, so a bounded in-memory window catches it before any work is done. The dispatcher's
    durable check on ``IncomingMessage.message_id`` covers restarts and several workers.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self._capacity = capacity
        self._order: deque[int] = deque()
        self._seen: set[int] = set()

    def add(self, value: int) -> bool:
        """Remember ``value``; False when it was already among the recent ones."""
        if value in self._seen:
            return False
        self._seen.add(value)
        self._order.append(value)
        if len(self._order) > self._capacity:
            self._seen.discard(self._order.popleft())
        return True
