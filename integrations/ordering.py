"""What every platform adapter needs between its webhook and the dialogs: per-user ordering and
a short memory of delivery ids, so a re-delivered update is dropped before any work is done."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Hashable
from typing import Any, Generic, TypeVar

from cachetools import FIFOCache

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Id = TypeVar("Id", bound=Hashable)


class UserQueues(Generic[Item]):
    """Runs ``work`` on items one at a time per key, with a worker task only while busy.

    A citizen who types two messages quickly must get the answer to the first one first, while
    a slow answer for one citizen must not hold up everybody else; so each key (a chat, a user)
    gets its own FIFO and a worker that exists only while that FIFO has items, and idle users
    hold no memory. A worker yields after each item, so busy users take turns.
    """

    def __init__(self, channel: str, work: Callable[[Item], Coroutine[Any, Any, None]]) -> None:
        """Queue for ``channel`` (named in logs and task names), handing each item to ``work``."""
        self._channel = channel
        self._work = work
        # Each item keeps the context it was submitted in (the webhook request's id for logs).
        self._pending: dict[Hashable, deque[tuple[Item, contextvars.Context]]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    def submit(self, key: Hashable, item: Item) -> None:
        """Queue ``item`` behind everything already queued for ``key``.

        The item is worked on in a copy of the caller's context, so what it logs carries the
        id of the request that delivered it, and values hidden from the logs while working on
        it stay with it.
        """
        queued = (item, contextvars.copy_context())
        pending = self._pending.get(key)
        if pending is not None:
            pending.append(queued)
            return
        self._pending[key] = deque([queued])
        worker = asyncio.create_task(self._drain(key), name=f"{self._channel}-user-worker")
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)

    @property
    def active(self) -> int:
        """How many users have items queued or being worked on."""
        return len(self._workers)

    async def join(self) -> None:
        """Wait until every queued item has been worked on (used on shutdown)."""
        while self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)

    async def cancel(self) -> None:
        """Stop every worker now, dropping what is still queued (a shutdown out of patience)."""
        for worker in self._workers:
            worker.cancel()
        await self.join()

    async def _drain(self, key: Hashable) -> None:
        pending = self._pending[key]
        try:
            while pending:
                item, context = pending.popleft()
                try:
                    await asyncio.create_task(self._work(item), context=context)
                except Exception:  # one failed item must not stall the user's queue
                    context.run(log.exception, "%s update failed", self._channel)
                # Let other users' workers take their turn between two of this user's items, so
                # a burst from one user is not worked through before everybody else's.
                await asyncio.sleep(0)
        finally:
            del self._pending[key]


class RecentIds(Generic[Id]):
    """The last ``capacity`` delivery ids seen, to drop an update a platform delivers twice.

    Webhook and polling delivery are at-least-once on every platform; a repeat usually follows
    within seconds, so a bounded in-memory window catches it before any work is done. The
    dispatcher's durable check on ``IncomingMessage.message_id`` covers restarts and several
    workers.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        # First in, first out: a repeat comes soon after the original, never much later.
        self._seen: FIFOCache[Id, bool] = FIFOCache(maxsize=capacity)

    def add(self, value: Id) -> bool:
        """Remember ``value``; False when it was already among the recent ones."""
        if value in self._seen:
            return False
        self._seen[value] = True
        return True
