"""Working days as Vietnamese one-stop desks count them: weekends and public holidays excluded.

The holidays (Tết, Hùng Kings, 30/4, 1/5, 2/9 and the days the government adds) come from the
maintained ``holidays`` library, so a new year's Tết dates need no code change here. The library
loads every country's calendar (about 280 modules, 8 MB): it is imported by the first count, not
by every worker that runs the sandbox portal and may never file a dossier.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from holidays import HolidayBase


class WorkingCalendar:
    """Counts working days in Vietnam."""

    @cached_property
    def _holidays(self) -> HolidayBase:
        import holidays  # see the module docstring

        return holidays.country_holidays("VN")

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a public holiday."""
        return day.weekday() < 5 and day not in self._holidays

    def add(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself is not counted)."""
        current = start
        left = days
        while left > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                left -= 1
        return current

    def between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when ``end <= start``)."""
        count = 0
        current = start
        while current < end:
            current += timedelta(days=1)
            count += self.is_working_day(current)
        return count
