"""SQLite through aiosqlite with one trip to its thread per statement.

SQLAlchemy's aiosqlite adapter opens a cursor, runs the statement, fetches its rows and closes
the cursor in four trips of their own to aiosqlite's thread: four hand-overs of the GIL between
the event loop and that thread per statement, about a fifth of a SQLite worker's CPU per
message (``python -m bench.throughput --profile``). Here the four happen in one function run
in the thread, and SQLAlchemy reads the rows and the cursor's attributes from what it left.

aiosqlite has no public call to run a function in its thread: ``Connection._execute`` is the
one its own methods use (as SQLAlchemy's adapter uses its queue), hence the version bound on
aiosqlite in ``pyproject.toml``.
"""

from __future__ import annotations

import collections
import sqlite3
from dataclasses import dataclass
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT


@dataclass(frozen=True, slots=True)
class _Ran:
    """What a statement left behind: its rows and the cursor attributes SQLAlchemy reads."""

    rows: list[Any]
    description: Any
    rowcount: int
    lastrowid: int | None
    arraysize: int = 1

    def close(self) -> None:
        """Nothing left to close: the cursor was closed in aiosqlite's thread."""


_NOT_RUN = _Ran([], None, -1, None)


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, *, many: bool) -> _Ran:
    """Open a cursor, run the statement, read its rows and close the cursor (in the thread)."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return _Ran(rows, cursor.description, cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


async def run_in_thread(connection: Any, operation: str, parameters: Any, *, many: bool) -> _Ran:
    """Run a statement on an aiosqlite connection in one trip to its thread (the caller
    holds the adapter's ``_execute_mutex``, as SQLAlchemy's cursors do)."""
    driver: aiosqlite.Connection = connection
    ran: _Ran = await driver._execute(_run, driver._conn, operation, parameters, many=many)
    return ran


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor, each statement run in one trip to the thread."""

    __slots__ = ()
    _awaitable_cursor_close = False  # ``_Ran.close`` is a plain call

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = _NOT_RUN  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, many=True)

    async def _run(self, operation: Any, parameters: Any, *, many: bool) -> None:
        async with self._adapt_connection._execute_mutex:
            ran = await run_in_thread(self._connection, operation, parameters, many=many)
        self._cursor = ran  # type: ignore[assignment]
        self._rows = collections.deque(ran.rows)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's connection to aiosqlite, with cursors of one trip a statement, and no trip
    to commit or roll back when no transaction is open.

    sqlite3 itself does nothing then (it asks SQLite whether a transaction is open), but the
    trip to ask it is made all the same: after every read-only unit of work, and when the pool
    rolls back each connection handed back to it, most of them committed already.
    """

    __slots__ = ()
    _cursor_cls = _OneTripCursor  # type: ignore[assignment]

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        if self._open():
            super().commit()

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self._open():
            super().rollback()

    def _open(self) -> bool:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        return connection._connection is not None and connection.in_transaction


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module to give ``create_async_engine(module=...)`` for a SQLite URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> AsyncAdapt_aiosqlite_connection:
        """SQLAlchemy's connection to aiosqlite, with cursors of one trip a statement."""
        return _OneTripConnection(self, super().connect(*arg, **kw)._connection)
