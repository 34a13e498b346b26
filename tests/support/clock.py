"""A clock tests move by hand, shared by a fake platform and the code under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class ManualClock:
    """The ``Clock`` port at a time that only moves when a test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        """The current fake time."""
        return self.current

    def advance(self, delta: timedelta | None = None, /, **parts: float) -> None:
        """Move time forward: ``advance(timedelta(hours=1))`` or ``advance(days=8)``."""
        self.current += (delta or timedelta()) + timedelta(**parts)
