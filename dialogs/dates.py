"""Dates in the citizen's words, read by dateparser in Vietnam time: when to be reminded
(``parse_moment``), and the day a birth, a death or a move happened (``parse_day``).

Citizens write "7 giờ tối mai", "thứ hai tuần sau", "ngày 20/12", "sáng mai", "hôm qua", often
without diacritics. dateparser's Vietnamese data misses most of these ("mai" alone, "tuần sau"
after a weekday, "tối" turning 7 into 19), so the Vietnamese words are first rewritten into
the English phrases dateparser reads reliably ("tomorrow 19:00", "in 3 days", "yesterday"), and
dateparser then does the calendar arithmetic in the citizen's time zone. English requests go
to it as they are.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from knowledge.text import fold

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Vietnam keeps one offset all year, so a fixed zone is exact."""

DEFAULT_HOUR = 8
"""A day without a time means the morning, never the hour of the night the citizen wrote."""

_WEEKDAYS = {
    **dict.fromkeys(("thu hai", "thu 2"), 0),
    **dict.fromkeys(("thu ba", "thu 3"), 1),
    **dict.fromkeys(("thu tu", "thu 4"), 2),
    **dict.fromkeys(("thu nam", "thu 5"), 3),
    **dict.fromkeys(("thu sau", "thu 6"), 4),
    **dict.fromkeys(("thu bay", "thu 7"), 5),
    **dict.fromkeys(("chu nhat", "cn"), 6),
}
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

_PERIODS = {
    "sang": (8, False),
    "trua": (12, False),
    "chieu": (14, True),
    "toi": (19, True),
    "dem": (21, True),
}
"""Part of the day: its hour when no hour is said, and whether "7" in it means 19:00."""

_NEXT_WEEK = r"(?:tuan\s+(?:sau|toi))"
_WEEKDAY = re.compile(
    r"\b(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + rf")\b(\s+{_NEXT_WEEK})?"
)
_CLOCK = re.compile(r"\b(\d{1,2})\s*(?:gio|h|g|:)\s*(?:(\d{1,2})\s*(?:phut|p)?|(ruoi))?(?![\w/])")
_PERIOD = re.compile(r"\b(sang|trua|chieu|toi|dem)\b")
_NUMERIC = re.compile(r"\b(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}|\d{2}))?\b")
_SPELLED = re.compile(r"\bngay\s+(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?\b")
_COUNT = r"(\d{1,3}|mot|hai|ba)"
_COUNTS = {"mot": "1", "hai": "2", "ba": "3"}
_RELATIVE = (
    (re.compile(rf"\b(?:sau|trong)?\s*{_COUNT}\s*ngay(?:\s+nua)?\b"), "in {0} days"),
    (re.compile(rf"\b(?:sau|trong)?\s*{_COUNT}\s*tuan(?:\s+nua)?\b"), "in {0} weeks"),
    (re.compile(r"\bngay\s+(?:kia|mot)\b"), "in 2 days"),
    (re.compile(r"\b(?:ngay\s+)?mai\b"), "tomorrow"),
    (re.compile(r"\b(?:hom\s+)?nay\b"), "today"),
    (re.compile(rf"\b{_NEXT_WEEK}\b"), "in 1 week"),
)
_DAY_PART = r"(?:hom|sang|trua|chieu|toi|dem)"
_PAST = tuple(
    (re.compile(rf"\b(?:{words})\b"), english)
    for words, english in {
        r"hom\s+kia": "2 days ago",
        rf"{_COUNT}\s*ngay\s+truoc|(\d{{1,3}})\s+days?\s+ago": "{0} days ago",
        rf"{_DAY_PART}\s+qua|yesterday|last\s+night": "yesterday",
        rf"{_DAY_PART}\s+nay|today|this\s+morning": "today",
        r"ngay\s+mai|tomorrow": "tomorrow",
    }.items()
)
"""Days told from today, as a birth or a death is told the day after: "hôm qua", "sáng nay"."""
_REQUEST = re.compile(
    r"^\W*(?:hay\s+|nho\s+)?nhac(?:\s+(?:nho|lai|giup))?(?:\s+(?:toi|minh|em|con))?\b"
)
""""Nhắc tôi": cut before reading, so its "tôi" written "toi" is not taken for "tối"."""

_LOOKALIKES = {"toi": "tôi", "nay": "này"}
"""Words that fold into a date word but, written with their accents, are something else
("tôi" is "I", not "tối" evening; "này" is "this", not "nay" today)."""
_ENGLISH_REQUEST = re.compile(r"^.*?\bremind(?:\s+me)?(?:\s+(?:on|at))?\b", re.IGNORECASE)


class _Impossible(ValueError):
    """A date or time that names no real moment."""


class NoSuchDay(ValueError):
    """A day and month that are not on the calendar ("30/2", "32/12"), as the citizen wrote them."""


@dataclass(frozen=True, slots=True)
class Day:
    """A day read from the citizen's words, and whether they wrote its year."""

    value: date
    year_told: bool


def parse_day(text: str, today: date) -> Day | None:
    """The day ``text`` names, told by someone for whom it is ``today`` in Vietnam; None when
    it names none.

    For what has happened (a birth, a death, a move): "5/12" without a year is the most recent
    5 December not after today, and "hôm qua", "hôm kia", "sáng nay" count back from today.
    The future ("ngày mai", "5/12/2027") is returned as it is, for the caller to refuse.
    """
    original = unicodedata.normalize("NFC", text).lower()
    folded = _readable(original)
    if found := _SPELLED.search(folded) or _NUMERIC.search(folded):
        day, month = int(found.group(1)), int(found.group(2))
        written = original[found.start() : found.end()]
        if found.group(3) is None:
            years = (today.year - back for back in range(9))  # a 29 February is within 8 years
            for year in years:
                if _valid(year, month, day) and date(year, month, day) <= today:
                    return Day(date(year, month, day), year_told=False)
            raise NoSuchDay(written)
        year = _full_year(found.group(3), today)
        if not _valid(year, month, day):
            raise NoSuchDay(written)
        return Day(date(year, month, day), year_told=True)
    for pattern, english in _PAST:
        if found := pattern.search(folded):
            counts = (_COUNTS.get(group, group) for group in found.groups() if group)
            parsed = _dateparser(english.format(*counts), datetime.combine(today, time(12)))
            return None if parsed is None else Day(parsed.date(), year_told=False)
    return None


def _full_year(written: str, today: date) -> int:
    """A year as written, "95" being 1995 and "26" 2026: the century that does not put it
    more than a year after today."""
    year = int(written)
    if len(written) == 4:
        return year
    return 2000 + year if 2000 + year <= today.year + 1 else 1900 + year


def parse_moment(text: str, now: datetime) -> datetime | None:
    """The moment ``text`` names, in Vietnam time, or None when it names none.

    The past is returned as it is (the caller refuses it, saying what it understood).
    """
    local = now.astimezone(VIETNAM).replace(tzinfo=None)
    original = unicodedata.normalize("NFC", text).lower()
    folded = _readable(original)
    try:
        phrase, timed, hour_only = _english(folded, local.date())
    except _Impossible:  # "32/12", "25 giờ": a date that does not exist is not guessed at
        return None
    if phrase is None:
        if not _ENGLISH_REQUEST.search(text):
            return None
        english = _ENGLISH_REQUEST.sub("", text).strip(" .!?")
        if not english or not any(ch.isalpha() for ch in english):
            return None
        parsed = _dateparser(english, local)
        if parsed is None:
            return None
        timed = bool(re.search(r"\d\s*(?::|am\b|pm\b|o'?clock)|\b(?:noon|midnight)\b", english))
        return _at(parsed, timed)
    parsed = _dateparser(phrase, local)
    if parsed is None:
        return None
    if hour_only and parsed <= local:  # "8 giờ" said at nine means tomorrow's eight o'clock
        parsed += timedelta(days=1)
    return _at(parsed, timed)


def _readable(original: str) -> str:
    """The folded text with the request words and the look-alikes blanked out, positions kept.

    Blanking with spaces of the same length keeps each position in the folded text on the
    same letter of the original (see ``knowledge.text.fold``), so look-alikes are told apart
    by the accents the citizen typed.
    """
    folded = fold(original)
    if request := _REQUEST.match(folded):
        folded = _blank(folded, request.start(), request.end())
    for word in re.finditer(r"\w+", folded):
        if _LOOKALIKES.get(word.group()) == original[word.start() : word.end()]:
            folded = _blank(folded, word.start(), word.end())
    return folded


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with ``[start, end)`` replaced by as many spaces."""
    return text[:start] + " " * (end - start) + text[end:]


def _at(parsed: datetime, timed: bool) -> datetime:
    """The parsed local time as an aware datetime; the default hour when none was said."""
    if not timed:
        parsed = datetime.combine(parsed.date(), time(DEFAULT_HOUR))
    return parsed.replace(second=0, microsecond=0, tzinfo=VIETNAM)


def _dateparser(phrase: str, local: datetime) -> datetime | None:
    """dateparser on an English phrase, counted from the citizen's local now, day first."""
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local,
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    # dateparser and its language data take about 6 MB and 60 ms to import: loaded by the first
    # reminder a citizen asks for, not by every worker.
    import dateparser

    return dateparser.parse(phrase, languages=["en"], settings=settings)


def _english(folded: str, today: date) -> tuple[str | None, bool, bool]:
    """The folded Vietnamese request as an English phrase for dateparser.

    Also whether it names the time of day, and whether it names only that. The phrase is None
    when no Vietnamese date or time word is in it.
    """
    day, rest = _day(folded, today)
    clock = _clock(rest)
    if day is None and clock is None:
        return None, False, False
    return f"{day or 'today'} {clock or ''}".strip(), clock is not None, day is None


def _day(folded: str, today: date) -> tuple[str | None, str]:
    """The date part as dateparser reads it, and the text without it."""
    if found := _SPELLED.search(folded) or _NUMERIC.search(folded):
        day, month = int(found.group(1)), int(found.group(2))
        year = _full_year(found.group(3), today) if found.group(3) else None
        rest = _blank(folded, found.start(), found.end())
        if not (1 <= day <= 31 and 1 <= month <= 12):
            raise _Impossible
        if year is None:
            year = today.year
            if _valid(year, month, day) and date(year, month, day) < today - timedelta(days=31):
                year += 1  # "15/1" in December is next January; "5/12" on the 6th is past
        if not _valid(year, month, day):
            raise _Impossible
        return f"{day:02d}/{month:02d}/{year}", rest
    if found := _WEEKDAY.search(folded):
        weekday = _WEEKDAYS[found.group(1)]
        rest = _blank(folded, found.start(), found.end())
        if found.group(2):  # "thứ hai tuần sau": that day of the week starting next Monday
            monday = today + timedelta(days=7 - today.weekday())
            return (monday + timedelta(days=weekday)).strftime("%d/%m/%Y"), rest
        return _WEEKDAY_NAMES[weekday], rest
    for pattern, english in _RELATIVE:
        if found := pattern.search(folded):
            rest = _blank(folded, found.start(), found.end())
            counts = (_COUNTS.get(group, group) for group in found.groups())
            return english.format(*counts), rest
    return None, folded


def _clock(folded: str) -> str | None:
    """The time of day as "HH:MM" (a part of the day alone gives its usual hour), or None."""
    period = _PERIOD.search(folded)
    default_hour, afternoon = _PERIODS[period.group(1)] if period else (None, False)
    found = _CLOCK.search(folded)
    if found is None:
        return None if default_hour is None else f"{default_hour:02d}:00"
    hour = int(found.group(1))
    minute = 30 if found.group(3) else int(found.group(2) or 0)
    if (afternoon and 1 <= hour < 12) or (default_hour == 12 and 1 <= hour <= 2):
        hour += 12  # "7 giờ tối" is 19:00, "1 giờ trưa" 13:00
    if hour > 23 or minute > 59:
        raise _Impossible
    return f"{hour:02d}:{minute:02d}"


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True
