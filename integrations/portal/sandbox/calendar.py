"""Working days as Vietnamese one-stop desks count them: weekends and public holidays excluded.

The holidays (Tết, Hùng Kings, 30/4, 1/5, 2/9 and the days the government adds) come from the
maintained ``holidays`` library, so a new year's Tết dates need no code change here.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays


class WorkingCalendar:
    """Counts working days in Vietnam."""

    def __init__(self) -> None:
        self._holidays = holidays.country_holidays("VN")

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
