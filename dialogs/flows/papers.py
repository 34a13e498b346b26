"""A procedure's papers as a citizen prepares them: sections to walk, notes left out.

The portal's document lists mix real papers with notes: rows counted "0 bản chính" and no
copies ("Trường hợp ... thì không phải nộp bản giấy") are remarks, not papers, so they are not
asked about. Titled groups are cases only when their title says so ("Trường hợp ...",
"Đối với ...", "Nếu ..."); other titles ("a) Thành phần hồ sơ") are headings. Papers to show
(``present_documents``, "giấy tờ phải xuất trình") come last.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from knowledge.model import Document, Procedure
from knowledge.text import fold

_CASE_MARKERS = ("truong hop", "doi voi", "neu ")
CASE_PREFIX_CHARS = 80
"""A case says so early in its title; the rest of a long title is not read."""


@dataclass(frozen=True, slots=True)
class Section:
    """Papers that go together, and how the walk-through treats them."""

    title: str
    documents: tuple[Document, ...]
    case: bool  # introduced by "is this your case?"; a "no" skips the section
    present: bool = False  # shown at the counter, not handed in


def is_paper(document: Document) -> bool:
    """A paper to bring, not a remark (the portal counts remarks as "0 bản chính")."""
    return not (document.originals == 0 and not document.copies)


@cache
def is_case(title: str) -> bool:
    """Whether a group title describes a case that applies to some citizens only.

    Cached: every turn of a checklist looks at the same few titles again.
    """
    folded = fold(title[:CASE_PREFIX_CHARS]).lstrip("( -–•*")
    return any(folded.startswith(marker) for marker in _CASE_MARKERS) or "truong hop" in folded


def sections(procedure: Procedure) -> list[Section]:
    """Every section of the procedure, empty ones included, so indices stay stable."""
    found = [
        Section(group.title, tuple(filter(is_paper, group.documents)), is_case(group.title))
        for group in procedure.documents
    ]
    found.append(
        Section("", tuple(filter(is_paper, procedure.present_documents)), False, present=True)
    )
    return found


def counts(procedure: Procedure) -> tuple[int, int, bool]:
    """(papers to hand in, papers to show, whether some are for certain cases only)."""
    parts = sections(procedure)
    handed = sum(len(s.documents) for s in parts if not s.present)
    shown = sum(len(s.documents) for s in parts if s.present)
    return handed, shown, any(s.case and s.documents for s in parts)
