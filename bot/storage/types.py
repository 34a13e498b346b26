"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend.

    SQLite keeps no time zone, so values are stored as naive UTC there and made aware again on
    load; refusing naive input keeps a local wall-clock time from ever being stored as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        """On SQLite, the stored text in one step (:func:`sqlite_text`); elsewhere
        ``process_bind_param`` then the driver's own.

        Every message binds some ten times (the turn's rows, the inbox's marks and leases), and
        on SQLite the two steps chained, the time normalised and then formatted through a dict
        by SQLAlchemy's ``DATETIME``, cost twice the one.
        """
        if dialect.name == "sqlite":
            return sqlite_text
        return super().bind_processor(dialect)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Normalise to UTC (naive on SQLite, whose stored strings then compare correctly)."""
        if value is None:
            return None
        value = _utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Always hand back an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def sqlite_text(value: datetime | None) -> str | None:
    """The text SQLite keeps for an aware datetime: its UTC time as SQLAlchemy's ``DATETIME``
    writes it (``2026-12-07 21:08:00.000000``, microseconds always), so stored times still
    compare as text in time order."""
    if value is None:
        return None
    return _utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")


def _utc(value: datetime) -> datetime:
    """The same moment in UTC; a naive datetime is refused."""
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UtcDateTime column")
    return value.astimezone(UTC)
