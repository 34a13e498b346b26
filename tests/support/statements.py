"""The SQL statements a database runs inside a block, and the work they make it do, for tests
that count what a burst costs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncSession

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


SQLITE_STEPS = 100
"""SQLite's virtual-machine instructions between two calls of its progress handler."""


@dataclass
class Work:
    """What ``work`` measured, once its block has ended."""

    units: int = 0


@asynccontextmanager
async def work(session: AsyncSession, table: str) -> AsyncIterator[Work]:
    """How much the database works for the statements run on ``session`` inside the block: a
    count that grows with the rows the statements read, not with the time they took on a
    busy machine. Compare it only within one database: SQLite's virtual-machine instructions
    (in hundreds, from its progress handler), PostgreSQL's rows of ``table`` read by scans and
    fetched through indexes in the session's transaction (``pg_stat_xact_user_tables``).
    """
    measured = Work()
    connection = await session.connection()
    if connection.dialect.name == "sqlite":

        def step() -> int:
            measured.units += 1
            return 0  # go on

        driver = (await connection.get_raw_connection()).driver_connection
        await driver.set_progress_handler(step, SQLITE_STEPS)
        try:
            yield measured
        finally:
            await driver.set_progress_handler(None, SQLITE_STEPS)
        return
    read = text(
        "SELECT coalesce(sum(seq_tup_read + coalesce(idx_tup_fetch, 0)), 0)"
        " FROM pg_stat_xact_user_tables WHERE relname = :table"
    )
    before = int(await session.scalar(read, {"table": table}))
    yield measured
    measured.units = int(await session.scalar(read, {"table": table})) - before
