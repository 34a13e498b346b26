"""The portal page crawl (``procedures-raw.jsonl.gz``): one detail page per record.

Header fields come from the crawler's split (short, reliable); body sections are re-cut from
``raw_text`` (see :mod:`knowledge.importer.sections`) and their concatenated table cells are
taken apart here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from knowledge.importer import cells, structure
from knowledge.importer.common import (
    Problems,
    channel_kind,
    current_agencies,
    online_filing,
    optional,
    split_list,
    split_steps,
)
from knowledge.importer.sections import (
    CHANNELS_HEADER,
    DOCUMENTS_HEADER,
    LEGAL_HEADER,
    SectionError,
    cut,
)
from knowledge.model import Channel, Document, DocumentGroup, LegalBasis, Procedure
from knowledge.text import normalize_text

_KINDS = r"Trực tuyến|Trực tiếp|Dịch vụ bưu chính"
# A channel row starts with its kind glued to a time cell (or the "no information" text).
# In a description the kind is followed by a space or punctuation ("Trực tiếp tại ...").
_ROW = re.compile(rf"(?P<kind>{_KINDS})(?=\d|[^\W\d_])")
_PRICED = rf"(?:{cells.AMOUNT})? ?{cells.CURRENCY}"
_FEE_CELL = re.compile(rf"Miễn phí|{cells.NO_INFO}|{_PRICED}(?:{_PRICED})*")
# Some time cells hold a sentence ("Không quy định", "Không phải trả kết quả cho người nộp
# thuế"); it runs to the fee cell.
_TIME_CELL = re.compile(
    rf"{cells.TIME}|{cells.NO_INFO}|\D.*?(?=Miễn phí|{cells.NO_INFO}|{_PRICED})", re.DOTALL
)
# A legal basis row's code: glued to its title (no space before it) and to the next title.
# The code cell may repeat the kind of document before the code ("Luật số 32/2024/QH15").
# A code cell cut short to number and year ("...NĐ-CP46/2020") counts when the next title or
# the end of the table follows it.
_LEGAL_CODE = re.compile(
    r"(?:(?<=[^\s\d(/.])|(?<=\D\.)|(?<=\d{4}\.)|(?<=[A-ZĐ]\d\d)|(?<=\D\d{4})|(?<=\n)|^)"
    r"(?:(?:Luật|Thông tư|Nghị định|Nghị quyết|Quyết định|Pháp lệnh|NĐ|TT|QĐ)(?: số)? |[Ss]ố )?"
    rf"(?P<code>{cells.LEGAL_CODE}|\d+/\d{{4}}(?=[A-ZĐ]|$))"
)
_RESULT_CODE = re.compile(r"Mã: (?P<code>KQ\.[A-Z0-9]+(?:\.\d+)*)")


def parse(record: Mapping[str, Any], problems: Problems) -> Procedure:
    """One procedure from a crawled page; what cannot be parsed fully goes to ``problems``."""
    code = normalize_text(record["ma_thu_tuc"])
    raw_text = record.get("raw_text") or ""
    try:
        sections = cut(raw_text)
    except SectionError as exc:
        problems.add(code, "raw_text", str(exc))
        return _header_only(record)
    channels = tuple(_channels(code, sections.channels, problems))
    groups, present, notes = _documents(code, sections.documents, problems)
    results = _results(sections.result)
    agencies, district = current_agencies(
        code, split_list(optional(sections.agency) or record.get("co_quan_thuc_hien", "")), problems
    )
    return Procedure(
        code=code,
        name=normalize_text(record["ten_thu_tuc"]),
        levels=split_list(record.get("cap_thuc_hien", "")),
        field=optional(record.get("linh_vuc", "")),
        applicants=split_list(record.get("doi_tuong_thuc_hien", "")),
        agencies=agencies,
        authority=optional(record.get("co_quan_co_tham_quyen", "")),
        address=optional(record.get("dia_chi_tiep_nhan", "")),
        channels=channels,
        documents=groups,
        present_documents=present,
        steps=split_steps(sections.steps),
        conditions=optional(sections.conditions, multiline=True),
        result="; ".join(name for name, _ in results),
        legal_basis=tuple(_legal(code, sections.legal, problems)),
        online=online_filing(raw_text),
        source_url=normalize_text(record.get("detail_url", "")),
        decision=optional(record.get("so_quyet_dinh", "")),
        ministry=normalize_text(record.get("_ministry_folder", "")),
        extra=_extra(record, results) | district,
        notes=notes,
    )


def _header_only(record: Mapping[str, Any]) -> Procedure:
    return Procedure(
        code=normalize_text(record["ma_thu_tuc"]),
        name=normalize_text(record["ten_thu_tuc"]),
        source_url=normalize_text(record.get("detail_url", "")),
    )


def _extra(record: Mapping[str, Any], results: list[tuple[str, str]]) -> dict[str, str]:
    extra = {
        "procedure_type": optional(record.get("loai_thu_tuc", "")),
        "related": optional(record.get("thu_tuc_lien_quan", "")),
        "coordinating_agency": optional(record.get("co_quan_phoi_hop", "")),
        "delegated_agency": optional(record.get("co_quan_duoc_uy_quyen", "")),
        "result_codes": "; ".join(code for _, code in results if code),
    }
    return {k: v for k, v in extra.items() if v}


def _channels(code: str, text: str, problems: Problems) -> Iterator[Channel]:
    """Rows of the channel table: kind, time, fee (with its note), description."""
    body = text.removeprefix(CHANNELS_HEADER)
    starts = list(_ROW.finditer(body))
    if not starts and normalize_text(body):
        problems.add(code, "channels", "no channel row found")
    for i, start in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(body)
        row = body[start.end() : end]
        kind = channel_kind(start["kind"])
        time_text, rest = _split_time_fee(row)
        fee_match = _FEE_CELL.match(rest)
        if fee_match is None:
            problems.add(code, "channels", f"no fee cell in {start['kind']} row")
            yield Channel(kind, cells.duration(time_text), None, optional(rest))
            continue
        note, description = _leading_note(rest[fee_match.end() :])
        yield Channel(
            kind=kind,
            time=cells.duration(time_text),
            fee=cells.fee(fee_match.group(), note),
            description=optional(description),
        )


def _split_time_fee(row: str) -> tuple[str, str]:
    """Separate the time cell from the fee cell glued after it.

    A bare time ("1") glued to an amount ("20,000 VNĐ") reads "120,000 VNĐ"; the split that
    leaves a well-formed amount ("1" + "20,000") is the right one, the shortest time first.
    """
    match = _TIME_CELL.match(row)
    if match is None:
        return "", row
    time_text = match.group()
    rest = row[match.end() :]
    if re.fullmatch(r"\d+(?:[.,]\d+)?", time_text) and re.match(r" ?" + cells.CURRENCY, rest):
        digits = row[: match.end()]
        for cut_at in range(1, len(digits)):
            amount = digits[cut_at:]
            if re.fullmatch(cells.AMOUNT, amount):
                return digits[:cut_at], row[cut_at:]
    return time_text, rest


def _leading_note(text: str) -> tuple[str, str]:
    """A parenthesised note glued to the fee cell, and the description after it."""
    if not text.startswith("("):
        return "", text
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return text[1:i], text[i + 1 :]
    return text[1:], ""


def _documents(
    code: str, text: str, problems: Problems
) -> tuple[tuple[DocumentGroup, ...], tuple[Document, ...], tuple[str, ...]]:
    """Document groups (general list and cases), the documents to present, and the notes."""
    tables = text.split(DOCUMENTS_HEADER)
    if len(tables) == 1:
        if optional(text.strip("- ")):
            problems.add(code, "documents", "no document table header")
        return (), (), ()
    blocks: list[structure.Block] = []
    heading = tables[0]
    for table in tables[1:]:
        rows, trailing = _document_rows(code, table, problems)
        blocks.append(structure.Block(heading, rows))
        heading = trailing
    closing = optional(heading.strip("-* "))
    # A remark after the last table has no table of its own.
    arranged = structure.arrange(blocks, notes=[closing] if closing else [])
    return arranged.groups, arranged.present, arranged.notes


def _document_rows(code: str, block: str, problems: Problems) -> tuple[list[Document], str]:
    """Rows of one document table (each ends with its count cell) and the text after them."""
    rows: list[Document] = []
    begin = 0
    for match in cells.COUNT.finditer(block):
        if match.start() == begin:
            begin = match.end()  # an empty row: the portal shows a count with no name
            continue
        if not _is_count_cell(block, match):
            continue
        raw_name, template = cells.split_templates(block[begin : match.start()])
        name = _document_name(raw_name)
        originals, copies = cells.counts(match)
        if name:
            rows.append(Document(name, originals, copies, normalize_text(template or "") or None))
        else:
            problems.add(code, "documents", "document row without a name")
        begin = match.end()
    return rows, block[begin:]


def _is_count_cell(block: str, match: re.Match[str]) -> bool:
    """Whether a count is the "Số lượng" cell rather than words of the name.

    The cell is glued to the name; a count after a space is a cell only when a new row (or the
    end of the table) follows it, never when the sentence goes on ("(01 bản chính) và ...") or
    the real cell follows it ("...Phiếu giao hàng: 02 bản chính1 bản chính").
    """
    before = block[match.start() - 1]
    if before == "(":
        return False
    if not before.isspace():
        return True
    rest = block[match.end() :]
    return not rest or not (rest[0].isspace() or rest[0].isdigit() or rest[0] in ").,;:")


def _document_name(text: str) -> str:
    """The name cell without list bullets ("- ", "+ ", "* ")."""
    return normalize_text(text).lstrip("-+*•.\uf0fc\uf0d8 ").strip()


def _legal(code: str, text: str, problems: Problems) -> Iterator[LegalBasis]:
    """Legal basis rows: a title followed by its document code."""
    body = text.removeprefix(LEGAL_HEADER)
    if not optional(body):
        return
    begin = 0
    for match in _LEGAL_CODE.finditer(body):
        if match.start() == begin:
            continue  # a title that starts with a code, such as "18/2026/NĐ-CP Nghị định ..."
        title = normalize_text(body[begin : match.start()])
        yield LegalBasis(title, match["code"])
        begin = match.end()
    tail = normalize_text(body[begin:])
    if tail:
        problems.add(code, "legal_basis", f"row without a recognised code: {tail[:60]!r}")
        yield LegalBasis(tail, None)


def _results(text: str) -> list[tuple[str, str]]:
    """The result documents and their portal codes ("Giấy khai sinh", "KQ.G15.000031")."""
    results = []
    begin = 0
    for match in _RESULT_CODE.finditer(text):
        name = normalize_text(text[begin : match.start()])
        if name:
            results.append((name, match["code"]))
        begin = match.end()
    tail = optional(text[begin:])
    if tail:
        results.append((tail, ""))
    return results
