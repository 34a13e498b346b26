"""Small SQL helpers that differ by dialect, kept in one place."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT supporting ON CONFLICT for the session's dialect (SQLite or PostgreSQL)."""
    bind = session.get_bind()
    module = postgresql if bind.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def rowcount(result: Any) -> int:
    """Rows matched by an UPDATE/DELETE/INSERT (typed accessor for CursorResult.rowcount)."""
    return int(result.rowcount)


def table(model: type[DeclarativeBase]) -> Table:
    """A mapped class's table, for statements on the message path: a Core statement run
    through a session skips the ORM's compile step and, for an UPDATE, the walk of the
    session's objects that keeps them in step (half of an UPDATE's CPU)."""
    return cast(Table, model.__table__)
