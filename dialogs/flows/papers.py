"""A procedure's papers as a citizen prepares them: sections to walk, notes left out.

The importer has already told papers from headings and remarks and marked the groups that are
cases (see ``knowledge.importer.structure``); a row still counted "0 bản chính" with no copies
is a remark and is not asked about. Papers to show (``present_documents``, "giấy tờ phải xuất
trình") come last.
"""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.model import Document, Procedure


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


def sections(procedure: Procedure) -> list[Section]:
    """Every section of the procedure, empty ones included, so indices stay stable."""
    found = [
        Section(group.title, tuple(filter(is_paper, group.documents)), group.case)
        for group in procedure.documents
    ]
    found.append(
        Section("", tuple(filter(is_paper, procedure.present_documents)), False, present=True)
    )
    return found


def counts(procedure: Procedure) -> tuple[int, int, int]:
    """(papers everyone hands in, papers to show, how many cases add their own papers).

    Cases exclude each other, so their papers are never added up into one number.
    """
    parts = sections(procedure)
    handed = sum(len(s.documents) for s in parts if not s.present and not s.case)
    shown = sum(len(s.documents) for s in parts if s.present)
    return handed, shown, sum(1 for s in parts if s.case and s.documents)
