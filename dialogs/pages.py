"""Long text cut at natural boundaries: phone-sized answer bubbles and platforms' message limits.

The dialogs keep every reply within :data:`PAGE_CHARS` (a phone screen) and put the rest
behind a "More" button that continues where the reply stopped; the renderer in
``integrations.render`` cuts by the same rules for each platform's own limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from dialogs.messages import Span

PAGE_CHARS = 600
"""The most of one reply a phone shows at once; the rest waits behind "More"."""

# Finer and finer places to break a text, each tried before the next; a break is only taken if
# it keeps at least half of the allowed length, so chunks stay reasonably full.
_BREAKS = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…;:])\s"),
    re.compile(r"\s"),
)


def split_text(text: str, limit: int, *, utf16: bool = False) -> list[str]:
    """Split ``text`` into stripped, non-empty chunks of at most ``limit`` length each.

    Paragraph breaks are preferred, then line breaks, then sentence ends, then spaces; a word
    is cut only when it alone is longer than ``limit``.
    """
    return [text[start:end] for start, end in split_spans(text, limit, utf16=utf16)]


def split_spans(text: str, limit: int, *, utf16: bool = False) -> list[Span]:
    """Where :func:`split_text`'s chunks lie in ``text``, so marks on the text follow them."""
    if limit < 1:
        raise ValueError("limit must be positive")
    spans: list[Span] = []
    start, end = _strip(text, 0, len(text))
    while start < end:
        rest = text[start:end]
        fit = _prefix_fitting(rest, limit, utf16)
        if fit == len(rest):
            spans.append((start, end))
            break
        cut = start + _break_at(rest, fit)
        spans.append(_strip(text, start, cut))
        start = _strip(text, cut, end)[0]
    return spans


def marks_within(marks: Sequence[Span], start: int, end: int) -> tuple[Span, ...]:
    """The parts of ``marks`` inside ``start``–``end``, counted from ``start``."""
    return tuple(
        (max(s, start) - start, min(e, end) - start) for s, e in marks if s < end and e > start
    )


def _strip(text: str, start: int, end: int) -> Span:
    """``start``–``end`` without the whitespace at either end."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def text_length(text: str, *, utf16: bool = False) -> int:
    """The length of ``text`` as a platform counts it."""
    return len(text.encode("utf-16-le")) // 2 if utf16 else len(text)


def _prefix_fitting(text: str, limit: int, utf16: bool) -> int:
    """How many leading characters of ``text`` fit in ``limit``."""
    if not utf16:
        return min(len(text), limit)
    head = text[:limit]
    if text_length(head, utf16=True) == len(head):  # no character takes two units: all fit
        return len(head)
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def _break_at(text: str, fit: int) -> int:
    """Where to end the next chunk: the best boundary within the first ``fit`` characters."""
    window = text[: fit + 1]  # a separator right after the window still makes a clean break
    for pattern in _BREAKS:
        starts = [m.start() for m in pattern.finditer(window) if 0 < m.start() <= fit]
        if starts and starts[-1] >= fit // 2:
            return starts[-1]
    starts = [m.start() for m in _BREAKS[-1].finditer(window) if 0 < m.start() <= fit]
    return starts[-1] if starts else fit
