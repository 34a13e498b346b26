"""Small SQL helpers that differ by dialect, kept in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT supporting ON CONFLICT for the session's dialect (SQLite or PostgreSQL)."""
    bind = session.get_bind()
    module = postgresql if bind.dialect.name == "postgresql" else sqlite
    return module.insert(table)


def rowcount(result: Any) -> int:
    """Rows matched by an UPDATE/DELETE/INSERT (typed accessor for CursorResult.rowcount)."""
    return int(result.rowcount)
