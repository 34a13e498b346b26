"""Many items in one transaction, or, should that fail, each alone.

A burst (webhooks arriving together, an officer moving a thousand dossiers, their notices)
costs one commit instead of one an item: on SQLite every commit waits for the one writer.
Should the batch fail, nothing of it was kept, and each item is tried alone, so one bad item
holds back nothing but itself.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


async def together_or_alone(
    items: Sequence[T],
    together: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
    alone: Callable[[T], Awaitable[R]],
    what: str,
) -> list[R | Exception]:
    """Per item, in order, its result or what it failed with: ``together`` for all of them at
    once, or, when that fails (or there is just one), ``alone`` for each."""
    if len(items) > 1:
        try:
            return list(await together(items))
        except Exception as error:
            # Type only: database errors quote the statement's parameters.
            logger.warning("%s one by one: %s", what, type(error).__name__)
    results: list[R | Exception] = []
    for item in items:
        try:
            results.append(await alone(item))
        except Exception as error:
            results.append(error)
    return results


class GroupCommit(Generic[T, R]):
    """Items handed over while a batch is being written wait and are written together next.

    Items handed over while nothing is being written are written at once; those that arrive
    while a batch is written go together in the next one (``together_or_alone``), and so on:
    under a burst, one commit serves many callers, while a lone caller waits for nothing but
    its own. Each caller gets its own item's result, or what it failed with; should a batch
    fail, each of its items is written again as a batch of one.
    """

    def __init__(
        self,
        together: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        what: str,
        *,
        limit: int = 500,
    ) -> None:
        """``limit``: items in one batch at most (SQLite takes some 32,000 parameters in one
        statement)."""
        self._together = together
        self._what = what
        self._limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, item: T) -> R:
        """``item``'s result once its batch is committed."""
        done: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write(), name=self._what)
        # Shielded: a caller that gives up leaves its item to the batch it is in.
        return await asyncio.shield(done)

    async def _alone(self, item: T) -> R:
        (result,) = await self._together([item])
        return result

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
            items = [item for item, _ in batch]
            outcomes = await together_or_alone(items, self._together, self._alone, self._what)
            for (_, done), outcome in zip(batch, outcomes, strict=True):
                if done.done():
                    continue
                if isinstance(outcome, Exception):
                    done.set_exception(outcome)
                else:
                    done.set_result(outcome)
