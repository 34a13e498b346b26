"""Per-user ordering and a short memory of delivery ids, and the in-process inbox built on them.

The application hands messages to the durable inbox (``bot.inbox``); :class:`MemoryInbox` is
the same contract kept in memory, for a channel driven on its own without a database (nothing
survives a restart there).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import deque
from collections.abc import Callable, Coroutine, Hashable, Sequence
from typing import Any, Generic, TypeVar

from cachetools import FIFOCache

from dialogs.messages import IncomingMessage, Reply
from dialogs.ports import MessageHandler, Responder
from integrations.progress import UNRECORDED

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
    within seconds, so a bounded in-memory window catches it. The durable inbox's unique
    (channel, message id) covers restarts and several workers.
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


_Queued = tuple[IncomingMessage, "asyncio.Future[Sequence[Reply]] | None"]


class MemoryInbox:
    """The ``Inbox`` port in memory: each user's messages in order, users in parallel."""

    def __init__(self, handler: MessageHandler, remembered: int = 10_000) -> None:
        """Answer messages with ``handler``, dropping ids among the last ``remembered``."""
        self._handler = handler
        self._responders: dict[str, Responder] = {}
        self._recent: RecentIds[tuple[str, str]] = RecentIds(remembered)
        self._queues: UserQueues[_Queued] = UserQueues("inbox", self._process)

    def subscribe(self, channel: str, respond: Responder) -> None:
        """Send the replies to ``channel``'s messages through ``respond``."""
        self._responders[channel] = respond

    async def accept(self, message: IncomingMessage) -> bool:
        """Queue a message behind its user's earlier ones; False for a recent repeat."""
        if message.message_id is not None and not self._recent.add(
            (message.ref.channel, message.message_id)
        ):
            return False
        self._queues.submit(message.ref.key, (message, None))
        return True

    async def answer(self, message: IncomingMessage, patience: float) -> Sequence[Reply] | None:
        """Queue a message and wait up to ``patience`` seconds for its replies."""
        replies: asyncio.Future[Sequence[Reply]] = asyncio.get_running_loop().create_future()
        self._queues.submit(message.ref.key, (message, replies))
        try:
            return await asyncio.wait_for(asyncio.shield(replies), patience)
        except TimeoutError:
            return None

    async def join(self) -> None:
        """Wait until every queued message has been answered."""
        await self._queues.join()

    async def _process(self, queued: _Queued) -> None:
        message, waiter = queued
        try:
            replies = await self._handler(message)
        except Exception as exc:
            if waiter is not None:
                waiter.set_exception(exc)
                return
            raise
        if waiter is not None:
            waiter.set_result(replies)
        respond = self._responders.get(message.ref.channel)
        if respond is not None:  # nothing sends them again: every attempt is the first
            await respond(message, replies, UNRECORDED)
