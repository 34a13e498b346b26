"""What both source shapes share: field clean-up, lists, channel kinds, headings, problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.importer.cells import NO_INFO
from knowledge.model import ChannelKind, OnlineFiling
from knowledge.text import fold, normalize_text


@dataclass(frozen=True, slots=True)
class Problem:
    """A record the importer could not parse fully, and why."""

    code: str
    part: str
    reason: str


@dataclass
class Problems:
    """Collects :class:`Problem` entries while records are parsed."""

    items: list[Problem] = field(default_factory=list)

    def add(self, code: str, part: str, reason: str) -> None:
        """Record that ``part`` of procedure ``code`` was not parsed fully."""
        self.items.append(Problem(code, part, reason))


_NO_INFO_FOLDED = fold(NO_INFO)
_EMPTY = {"", "khong", _NO_INFO_FOLDED}


def optional(text: str, *, multiline: bool = False) -> str:
    """Normalised text, or "" where the portal says it has no information."""
    clean = normalize_text(text, multiline=multiline)
    if len(clean) > len(NO_INFO) + 2:
        return clean
    return "" if fold(clean).strip(" .") in _EMPTY else clean


def split_list(text: str) -> tuple[str, ...]:
    """Items of a comma-joined field, keeping commas inside parentheses.

    "Tổ chức (không bao gồm doanh nghiệp, HTX), Công dân Việt Nam" has two items; a part that
    starts in lowercase continues the item before it.
    """
    items: list[str] = []
    depth = 0
    current: list[str] = []
    for ch in optional(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth <= 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    merged: list[str] = []
    for item in (normalize_text(item) for item in items):
        if merged and item[:1].islower():
            merged[-1] += f", {item}"  # "Cán bộ, công chức, viên chức" is one item
        elif item:
            merged.append(item)
    return tuple(dict.fromkeys(_level_case(item) for item in merged))


def _level_case(item: str) -> str:
    """One spelling for levels: the export writes "Cấp Bộ", the pages "Cấp bộ"."""
    return item[:4] + item[4:].lower() if item.startswith("Cấp ") else item


# The district level ("cấp huyện") was abolished on 1 July 2025; some pages still name it.
_DISTRICT = re.compile(r"\bhuyen\b|\bcap quan\b")


def current_agencies(
    code: str, agencies: tuple[str, ...], problems: Problems
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Agencies that still exist, and the district-level ones set aside (with the portal's text).

    A citizen must not be sent to an office that no longer exists, and the importer does not
    guess which office took its work over, so such agencies go to ``extra`` and the report.
    """
    district = tuple(a for a in agencies if _DISTRICT.search(fold(a)))
    if not district:
        return agencies, {}
    problems.add(code, "agencies", "names the district level, abolished on 1 July 2025")
    current = tuple(a for a in agencies if a not in district)
    return current, {"district_level_agencies": "; ".join(district)}


_KIND_BY_FOLDED = {
    "truc tuyen": ChannelKind.ONLINE,
    "truc tiep": ChannelKind.IN_PERSON,
    "dich vu buu chinh": ChannelKind.POST,
}


def channel_kind(text: str) -> ChannelKind:
    """The channel a "Hình thức nộp" cell names."""
    return _KIND_BY_FOLDED[fold(normalize_text(text))]


# A step starts at "Bước 1:", "Bước 2." or "Bước 3 Tiếp nhận"; "bước 1 xét duyệt" inside a
# step is a reference, not a new step.
_STEP_START = re.compile(r"(?:^|(?<=[\s.;:]))(?=Bước\s*\d+(?:\s*[:.)\-]|\s+[A-ZĐ]))")


def split_steps(text: str) -> tuple[str, ...]:
    """Steps, one per "Bước N"; text without step numbers gives one step per line."""
    body = optional(text, multiline=True)
    if not body:
        return ()
    parts = _STEP_START.split(body)
    if len(parts) == 1:
        parts = body.splitlines()
    steps = (normalize_text(p).rstrip("-+ ").strip() for p in parts)
    return tuple(step for step in steps if any(ch.isalnum() for ch in step))


# "dịch vụ công trực tuyến toàn trình" / "trực tuyến một phần"; the tax pages' boilerplate
# "các thủ tục đã toàn trình" speaks of other procedures and does not count.
_ONLINE = re.compile(r"(?:truc tuyen|dich vu cong|dvc)\s+(toan trinh|mot phan)")


def online_filing(text: str) -> OnlineFiling | None:
    """Full ("toàn trình") or partial ("một phần") online filing, when the page says so."""
    found = {m.group(1) for m in _ONLINE.finditer(fold(text))}
    if "toan trinh" in found:
        return OnlineFiling.FULL
    return OnlineFiling.PARTIAL if found else None
