"""The SQL statements a database runs inside a block, for tests that count what a burst costs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.storage.database import Database


@contextmanager
def counted(database: Database) -> Iterator[list[str]]:
    """The statements the database runs inside the block, each on one line."""
    executed: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_rest: object) -> None:
        executed.append(" ".join(statement.split()))

    event.listen(database.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield executed
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", note)
