"""The statements every message runs, handed to the driver's own connection.

A Core statement run through a session pays SQLAlchemy's per-execution work on top of the
driver's own call (the compiled cache's look-up, the execution context, the parameters' and the
rows' processing, the greenlet hand-overs): most of what a message's statements cost the
worker (``python -m bench.throughput --profile``; ``bench/throughput.md``). A
:class:`Direct` statement is written in SQLAlchemy Core as any other, compiled by SQLAlchemy
once per dialect, and its values and rows converted by the same type processors SQLAlchemy
would use; only the execution skips it. It runs on the connection of the session's transaction,
so it commits or rolls back with the session's other statements.

Both drivers take positional parameters in SQLAlchemy's compiled order (``?`` for sqlite3,
``$n`` for asyncpg); what differs is the call alone (``_sqlite``, ``_asyncpg``). SQLAlchemy's
asyncpg adapter opens its transaction at its first statement, so a direct statement opens it
when it comes first (``_asyncpg``); sqlite3 opens its own at the first write, as it does for
SQLAlchemy's statements. A driver's error goes through SQLAlchemy's own handling (the same
exception classes, a dead connection invalidated, the parameters hidden): the callers'
``unreachable`` tells a database away as before.

The statements must bind every value (no ``expanding`` lists, no column defaults computed at
execution): checked when a statement is compiled.
"""

from __future__ import annotations

import re
from collections import namedtuple
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import greenlet_spawn

from bot.storage.sqlite_driver import run_in_thread

_UNSET = object()
_COUNT = re.compile(r"(?:UPDATE|DELETE|INSERT \d+) (\d+)")
"""The rows an asyncpg status message ("UPDATE 3", "INSERT 0 1") says a statement touched."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """A statement compiled for one dialect: its text, each positional parameter's name, fixed
    value (or ``_UNSET``) and conversion, and each result column's conversion."""

    sql: str
    names: tuple[str, ...]
    fixed: tuple[Any, ...]
    binds: tuple[Callable[[Any], Any] | None, ...]
    results: tuple[Callable[[Any], Any] | None, ...]
    row: Callable[[Sequence[Any]], tuple[Any, ...]]
    returns: bool

    def arguments(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        """The driver's positional arguments for ``values``."""
        out = []
        for name, fixed, bind in zip(self.names, self.fixed, self.binds, strict=True):
            value = values[name] if fixed is _UNSET else values.get(name, fixed)
            out.append(value if bind is None else bind(value))
        return tuple(out)

    def rows(self, raw: Sequence[Sequence[Any]]) -> list[Any]:
        """The driver's rows with each column converted as SQLAlchemy would, each a named
        tuple (its columns read by name, as a SQLAlchemy row's)."""
        if not any(self.results):
            return [self.row(row) for row in raw]
        return [
            self.row(
                [
                    value if convert is None else convert(value)
                    for value, convert in zip(row, self.results, strict=True)
                ]
            )
            for row in raw
        ]


def _plan(statement: ClauseElement, dialect: Dialect, keys: Collection[str] | None) -> _Plan:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys) if keys else None)
    assert isinstance(compiled, SQLCompiler)
    names = tuple(compiled.positiontup or ())
    binds = compiled.binds
    processors: dict[str, Callable[[Any], Any]] = {}
    for name in names:
        processor = compiled._bind_processors.get(name)
        if (
            binds[name].expanding
            or binds[name].callable is not None
            or isinstance(processor, Sequence)
        ):
            raise ValueError(f"a direct statement binds every value itself: {name}")
        if processor is not None:
            processors[name] = processor
    columns = compiled._result_columns or []
    return _Plan(
        sql=compiled.string,
        names=names,
        fixed=tuple(_UNSET if binds[name].required else binds[name].value for name in names),
        binds=tuple(processors.get(name) for name in names),
        results=tuple(column.type._cached_result_processor(dialect, None) for column in columns),
        row=_row_type([column.keyname for column in columns]),
        returns=bool(columns),
    )


def _row_type(names: Sequence[str]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """What makes a row of these columns: a named tuple, read by position or by name."""
    row: Any = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    make: Callable[[Sequence[Any]], tuple[Any, ...]] = row._make
    return make


class Direct:
    """A Core statement run on the driver's connection of a session's transaction.

    ``keys`` are the columns an INSERT's rows give (SQLAlchemy compiles an INSERT for the
    columns its parameters name); other statements bind by their ``bindparam`` names.
    """

    def __init__(self, statement: ClauseElement, keys: Collection[str] | None = None) -> None:
        self._statement = statement
        self._keys = keys
        self._plans: dict[str, _Plan] = {}

    def _plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self._statement, dialect, self._keys)
        return plan

    async def fetch(self, session: AsyncSession, values: Mapping[str, Any]) -> list[Any]:
        """Run the statement; the rows it returned, converted (named tuples)."""
        connection, plan = await _connection(session, self)
        raw, _count = await _run(connection, plan, plan.arguments(values), many=False)
        return plan.rows(raw)

    async def execute(self, session: AsyncSession, values: Mapping[str, Any]) -> int:
        """Run the statement; the rows it touched."""
        connection, plan = await _connection(session, self)
        _rows, count = await _run(connection, plan, plan.arguments(values), many=False)
        return count

    async def execute_many(self, session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once for each of ``rows``, in one call to the driver."""
        if not rows:
            return
        connection, plan = await _connection(session, self)
        await _run(connection, plan, [plan.arguments(row) for row in rows], many=True)


_CONNECTION = "direct connection"
"""The key of ``AsyncSession.info`` under which a session keeps its transaction's connection
for direct statements (finding it costs two greenlet hand-overs)."""


async def _connection(session: AsyncSession, direct: Direct) -> tuple[Connection, _Plan]:
    """The sync connection of the session's transaction, and the statement's plan for it."""
    connection: Connection | None = session.info.get(_CONNECTION)
    if connection is None or connection.closed or connection.invalidated:
        connection = (await session.connection()).sync_connection
        assert connection is not None
        session.info[_CONNECTION] = connection
    return connection, direct._plan(connection.dialect)


async def _run(
    connection: Connection, plan: _Plan, arguments: Any, *, many: bool
) -> tuple[Sequence[Sequence[Any]], int]:
    """The statement's rows and the rows it touched, from the connection's driver.

    The engine's ``before_cursor_execute`` and ``after_cursor_execute`` listeners hear of it
    as of any statement (what counts statements counts these too), without a cursor or an
    execution context.
    """
    adapted = connection.connection.dbapi_connection
    heard = connection._has_events or connection.engine._has_events
    if heard:
        await greenlet_spawn(_tell, connection, "before_cursor_execute", plan, arguments, many)
    try:
        if connection.dialect.name == "sqlite":
            ran = await _sqlite(adapted, plan.sql, arguments, many=many)
        else:
            ran = await _asyncpg(adapted, plan, arguments, many=many)
    except Exception as error:
        await greenlet_spawn(_raise_as_sqlalchemy, connection, adapted, error, plan.sql)
        raise  # not reached: SQLAlchemy raised its own error
    if heard:
        await greenlet_spawn(_tell, connection, "after_cursor_execute", plan, arguments, many)
    return ran


def _tell(connection: Connection, event: str, plan: _Plan, arguments: Any, many: bool) -> None:
    """Tell the engine's listeners of ``event`` of the statement (in a greenlet, as SQLAlchemy
    calls them: a listener may await)."""
    getattr(connection.dispatch, event)(connection, None, plan.sql, arguments, None, many)


async def _sqlite(
    adapted: Any, sql: str, arguments: Any, *, many: bool
) -> tuple[Sequence[Sequence[Any]], int]:
    """One trip to aiosqlite's thread (``bot.storage.sqlite_driver``)."""
    async with adapted._execute_mutex:
        ran = await run_in_thread(adapted._connection, sql, arguments, many=many)
    return ran.rows, ran.rowcount


async def _asyncpg(
    adapted: Any, plan: _Plan, arguments: Any, *, many: bool
) -> tuple[Sequence[Sequence[Any]], int]:
    """asyncpg's own calls, inside the adapter's transaction (opened here if not yet)."""
    driver = adapted._connection
    async with adapted._execute_mutex:
        if adapted._transaction is None:
            await adapted._start_transaction()
        if many:
            await driver.executemany(plan.sql, arguments)
            return [], -1
        if plan.returns:
            rows = await driver.fetch(plan.sql, *arguments)
            return rows, len(rows)
        status = await driver.execute(plan.sql, *arguments)
    found = _COUNT.match(status or "")
    return [], int(found.group(1)) if found else -1


def _raise_as_sqlalchemy(connection: Connection, adapted: Any, error: Exception, sql: str) -> None:
    """Raise ``error`` as SQLAlchemy would have: translated to the DBAPI's classes by the
    adapter, then wrapped, with a dead connection invalidated (in a greenlet, as SQLAlchemy's
    invalidation awaits the driver)."""
    try:
        if connection.dialect.name != "sqlite":
            adapted._handle_exception(error)  # raises the DBAPI's error for asyncpg's
        raise error
    except Exception as translated:
        connection._handle_dbapi_exception(translated, sql, None, None, None)
        raise
