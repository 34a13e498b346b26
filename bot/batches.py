"""Many items in one transaction, or, should that fail, each alone.

A burst (webhooks arriving together, an officer moving a thousand dossiers, their notices)
costs one commit instead of one an item: on SQLite every commit waits for the one writer.
Should the batch fail, nothing of it was kept, and each item is tried alone, so one bad item
holds back nothing but itself.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

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
