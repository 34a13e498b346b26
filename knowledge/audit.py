"""An audit of the whole knowledge base: papers that are not papers, fees with a currency
glued where no amount is, and contradictions.

Its checks are written independently of the importer's rules (they look at the result, not at
how it was made), so a parser change that lets headings, remarks or glued cells back in as
numbered papers is caught. ``motcua kb audit`` prints the report; a test keeps it at zero.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from knowledge.checks import Contradiction, contradictions
from knowledge.importer.cells import TEMPLATE_FILE
from knowledge.model import Channel, Document, Procedure
from knowledge.text import fold

LONG_PAPER = 600
"""A paper's name longer than this is a paragraph, not a name (it would fill a phone screen)."""

HEADING_PAPER = "heading_paper"
LONG = "long_paper"
GLUED_TEMPLATE = "glued_template"
GLUED_UNIT = "glued_unit"

_GLUED_UNIT = re.compile(
    r"(?:\b[Mm]iễn phí|\b[Kk]hông|\bđ(?:ồng)?/[^\W\d]+)\s*(?:Việt Nam Đồng|VNĐ|Đồng)"
    r"(?=\s*(?:$|[-–();:,.]))"
)
"""A fee saying "Miễn phí Đồng", "Không Đồng" or "400.000 đ/lần Đồng": the portal's template
put its currency after a cell that holds no amount, or one that has its unit already."""

# What a heading says: the list's name, a case that introduces a list, a note.
_NUMBER = r"^[-*+• ]*(?:\(?[a-z0-9]{1,3}(?:\.\d+)*[.)] +)?(?:\* *)?"
_LIST_WORDS = re.compile(
    _NUMBER + r"(?:(?:cac )?giay to phai (?:nop|xuat trinh)|thanh phan ho so|ho so)"
    r"(?: (?:bao )?gom)?(?:\W*$|.{0,120}\b(?:gom|sau) *:?$)"
)
_NOTE_WORDS = re.compile(_NUMBER + r"(?:luu y|ghi chu)\b")
_CASE_WORDS = re.compile(_NUMBER + r"(?:truong hop|doi voi|neu)\b")


@dataclass(frozen=True, slots=True)
class Finding:
    """One paper that is not a paper as it should be."""

    code: str
    check: str
    text: str


@dataclass(frozen=True, slots=True)
class Report:
    """What the audit found, and the counts it found it among."""

    findings: tuple[Finding, ...]
    contradictions: tuple[tuple[str, Contradiction], ...]
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, check: str) -> int:
        """How many findings of one check."""
        return sum(1 for f in self.findings if f.check == check)


def paper_findings(code: str, document: Document) -> list[Finding]:
    """What is wrong with one paper as a paper (nothing, for a good one)."""
    name = document.name.strip()
    folded = fold(name)
    found = []
    if (
        _LIST_WORDS.match(folded)
        or _NOTE_WORDS.match(folded)
        or (name.endswith(":") and _CASE_WORDS.match(folded))
    ):
        found.append(Finding(code, HEADING_PAPER, name))
    if len(name) > LONG_PAPER:
        found.append(Finding(code, LONG, name[:120]))
    ending = list(TEMPLATE_FILE.finditer(name))
    if ending and ending[-1].end() == len(name):
        found.append(Finding(code, GLUED_TEMPLATE, name[-120:]))
    return found


def fee_findings(code: str, channel: Channel) -> list[Finding]:
    """What is wrong with one channel's fee as a citizen reads it (nothing, for a good one)."""
    if channel.fee is None:
        return []
    return [
        Finding(code, GLUED_UNIT, channel.fee.text[max(0, m.start() - 40) : m.end() + 40])
        for m in _GLUED_UNIT.finditer(channel.fee.text)
    ]


def audit(procedures: Iterable[Procedure], today: date) -> Report:
    """Audit every procedure's papers and contradictions."""
    findings: list[Finding] = []
    found: list[tuple[str, Contradiction]] = []
    counts: Counter[str] = Counter()
    for procedure in procedures:
        counts["procedures"] += 1
        counts["notes"] += len(procedure.notes)
        for group in procedure.documents:
            counts["groups"] += 1
            counts["cases"] += group.case
            for document in group.documents:
                counts["papers"] += 1
                findings.extend(paper_findings(procedure.code, document))
        for document in procedure.present_documents:
            counts["papers_to_show"] += 1
            findings.extend(paper_findings(procedure.code, document))
        for channel in procedure.channels:
            counts["fees"] += channel.fee is not None
            findings.extend(fee_findings(procedure.code, channel))
        found.extend((procedure.code, c) for c in contradictions(procedure, today))
    return Report(tuple(findings), tuple(found), dict(counts))
