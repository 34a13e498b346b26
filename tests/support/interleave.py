"""Another worker's claim, run while this one's sits between reading its rows and taking them.

Two claims racing for the same rows is the case a claim's locking exists for, and timing alone
would rarely produce it; this puts the other claim exactly in the gap, on a second engine.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import event
from sqlalchemy.util import await_only

from bot.storage.database import Database

T = TypeVar("T")


@contextmanager
def first_after_the_read(
    database: Database, read: str, other: Callable[[], Awaitable[T]]
) -> Iterator[list[asyncio.Task[T]]]:
    """Within the block, the first statement starting with ``read`` lets ``other`` go first.

    A claim that holds the database meanwhile keeps the other waiting, for a second at most
    here; then this claim goes on and the other is let through after it. The list holds the
    other's task once it has started.
    """
    started: list[asyncio.Task[T]] = []

    def after(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        if started or not statement.startswith(read):
            return
        started.append(asyncio.create_task(other()))
        await_only(asyncio.wait(started, timeout=1.0))

    event.listen(database.engine.sync_engine, "after_cursor_execute", after)
    try:
        yield started
    finally:
        event.remove(database.engine.sync_engine, "after_cursor_execute", after)
