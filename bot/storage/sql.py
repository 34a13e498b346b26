"""Small SQL helpers that differ by dialect, kept in one place."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Table, bindparam, case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

T = TypeVar("T")

_INSERTS: dict[str, Callable[[Any], Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}
"""Each dialect's INSERT, the one that supports ON CONFLICT."""


def dialect(session: AsyncSession) -> str:
    """The session's dialect: ``"sqlite"`` or ``"postgresql"``."""
    return session.get_bind().dialect.name


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT supporting ON CONFLICT for the session's dialect (SQLite or PostgreSQL)."""
    return _INSERTS[dialect(session)](table)


def per_dialect(build: Callable[[Callable[[Any], Any]], T]) -> dict[str, T]:
    """Dialect name -> what ``build`` makes of that dialect's INSERT: a statement with ON
    CONFLICT built once at import, its values bound at each run. SQLAlchemy caches a statement's
    compiled form only when its values are bound parameters: one made with ``.values()`` of a
    list is compiled again at every run (milliseconds, a message's largest single cost)."""
    return {name: build(insert) for name, insert in _INSERTS.items()}


def rowcount(result: Any) -> int:
    """Rows matched by an UPDATE/DELETE/INSERT (typed accessor for CursorResult.rowcount)."""
    return int(result.rowcount)


def table(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, for statements on the message path: a Core statement run
    through a session skips the ORM's compile step and, for an UPDATE, the walk of the
    session's objects that keeps them in step (half of an UPDATE's CPU)."""
    return cast(Table, model.__table__)


def _batch_size(rows: int) -> int:
    """The size a ``per_row`` statement is built for to take ``rows`` rows: the next power of
    two. Bursts come in every size, and a statement built for each size is compiled again for
    nearly every burst (a millisecond and more at a hundred rows); ten sizes cover 1 to 512,
    each compiled once, the rows short of the size padded (``per_row_batch``)."""
    return 1 << max(0, rows - 1).bit_length()


def per_row(key: ColumnElement[Any], column: ColumnElement[Any], size: int) -> Any:
    """``CASE key WHEN :row_key_0 THEN :row_<column>_0 …`` for ``size`` rows, the value ``column``
    takes in each row of a batch, the rows' keys and values bound at each run
    (``per_row_batch``). A statement made of these, built once per batch size and kept, is
    neither built nor compiled again: one made of literals cost some 50 µs a row to build."""
    return case(
        *(
            (
                bindparam(f"row_key_{n}", type_=key.type),
                bindparam(f"row_{column.key}_{n}", type_=column.type),
            )
            for n in range(size)
        ),
        value=key,
    )


def per_row_keys(key: ColumnElement[Any], size: int) -> Any:
    """``key IN (:row_key_0, …)`` for ``size`` rows: the rows a ``per_row`` statement touches,
    bound by the same parameters as its cases (the padding's NULL keys match nothing). A list
    of this size's own parameters, rendered once with the statement, where an expanding one
    (``bindparam(…, expanding=True)``) had the whole statement's text rendered again at every
    run: a long text, for cases of a hundred rows."""
    return key.in_([bindparam(f"row_key_{n}", type_=key.type) for n in range(size)])


def per_row_batch(
    build: Callable[[int], T], keys: Sequence[Any], **columns: Sequence[Any]
) -> tuple[T, dict[str, Any]]:
    """The statement ``build`` makes of ``per_row`` cases for a batch of ``keys``, and the
    parameters of those cases: each row's key, and its value of each column.

    The one place that picks the size a batch's statement is built for (``_batch_size``), so
    the statement and its parameters always agree; ``build`` is kept per size by its caller
    (``functools.lru_cache``). The rows past ``keys`` are padded with NULL keys, which no
    ``CASE key WHEN NULL`` matches.
    """
    size = _batch_size(len(keys))
    padding = [None] * (size - len(keys))
    values = {f"row_key_{n}": key for n, key in enumerate([*keys, *padding])}
    for name, column in columns.items():
        values.update((f"row_{name}_{n}", value) for n, value in enumerate([*column, *padding]))
    return build(size), values
