"""Cutting a portal page's ``raw_text`` into its sections on the section labels.

The crawler split pages on the first occurrence of each label, which fails when a step mentions
"Thành phần hồ sơ" (social-insurance procedures) or a fee note says "Căn cứ pháp lý". Here each
label is anchored on what must follow it (a table header) or on being glued to the end of the
previous section, so the body sections come out whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CHANNELS_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
DOCUMENTS_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"

_STEPS = re.compile(r"Trình Tự Thực Hiện")
_CHANNELS = re.compile(r"Cách Thức Thực Hiện(?=" + re.escape(CHANNELS_HEADER) + ")")
# The first label after the channel table that is not a reference in parentheses
# ("theo mục 4.3 (Thành phần hồ sơ)").
_DOCUMENTS = re.compile(r"(?<!\()Thành phần hồ sơ(?!\))")
_LEGAL = re.compile(r"Căn cứ pháp lý(?=" + re.escape(LEGAL_HEADER) + r"|Không có thông tin)")
_AGENCY = re.compile(r"Cơ quan thực hiện")
_CONDITIONS = re.compile(r"Yêu cầu, điều kiện thực hiện")
_RESULT = re.compile(r"Kết quả xử lý")
_END = re.compile(r"Từ khóa")


class SectionError(ValueError):
    """A section label is missing from the page text."""


@dataclass(frozen=True, slots=True)
class Sections:
    """The body of one portal page, cut on its labels."""

    steps: str
    channels: str
    documents: str
    legal: str
    agency: str
    conditions: str
    result: str


def cut(raw_text: str) -> Sections:
    """Cut ``raw_text`` into its body sections.

    Raises:
        SectionError: a label the page always has is missing.
    """
    steps = _find(_STEPS, raw_text, 0, "Trình Tự Thực Hiện")
    channels = _find(_CHANNELS, raw_text, steps.end(), "Cách Thức Thực Hiện")
    documents = _find(_DOCUMENTS, raw_text, channels.end(), "Thành phần hồ sơ")
    legal = _last(_LEGAL, raw_text, documents.end())
    after_documents = legal.end() if legal else documents.end()
    agency = _find(_AGENCY, raw_text, after_documents, "Cơ quan thực hiện")
    conditions = _find(_CONDITIONS, raw_text, agency.end(), "Yêu cầu, điều kiện thực hiện")
    result = _last(_RESULT, raw_text, conditions.end())
    end = _last(_END, raw_text, result.end() if result else conditions.end())
    stop = end.start() if end else len(raw_text)
    return Sections(
        steps=raw_text[steps.end() : channels.start()],
        channels=raw_text[channels.end() : documents.start()],
        documents=raw_text[documents.end() : legal.start() if legal else agency.start()],
        legal=raw_text[legal.end() : agency.start()] if legal else "",
        agency=raw_text[agency.end() : conditions.start()],
        conditions=raw_text[conditions.end() : result.start() if result else stop],
        result=raw_text[result.end() : stop] if result else "",
    )


def _find(pattern: re.Pattern[str], text: str, pos: int, label: str) -> re.Match[str]:
    match = pattern.search(text, pos)
    if match is None:
        raise SectionError(f"no '{label}' section")
    return match


def _last(pattern: re.Pattern[str], text: str, pos: int) -> re.Match[str] | None:
    matches = list(pattern.finditer(text, pos))
    return matches[-1] if matches else None
