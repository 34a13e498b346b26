"""When a handed-over conversation will be answered: the desk's days and hours, Vietnam time."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.handoffs import VIETNAM, OpeningHours

USUAL = OpeningHours()  # Monday to Friday, 07:30 to 17:00


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


def test_open_during_office_hours() -> None:
    assert USUAL.next_opening(local("2026-11-24T09:00")) is None  # a Tuesday morning
    assert USUAL.next_opening(local("2026-11-24T07:30")) is None


def test_after_closing_the_next_morning() -> None:
    assert USUAL.next_opening(local("2026-11-24T17:00")) == local("2026-11-25T07:30")
    assert USUAL.next_opening(local("2026-11-24T06:59")) == local("2026-11-24T07:30")


def test_at_the_weekend_on_monday() -> None:
    friday_night = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 22:00 in Vietnam
    assert USUAL.next_opening(friday_night) == local("2026-11-30T07:30")


def test_a_desk_open_on_saturday_morning() -> None:
    hours = OpeningHours(days="123456", opens="07:00", closes="11:30")
    assert hours.next_opening(local("2026-11-28T10:00")) is None  # Saturday
    assert hours.next_opening(local("2026-11-28T12:00")) == local("2026-11-30T07:00")
