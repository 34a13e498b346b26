"""The portal's document export (``ChiTietTTHC_<code>.doc``, Ministry of Defence records).

Fields arrive already split, but the document table's columns are shifted: ``so_luong`` holds the
template file and ``ghi_chu`` the counts ("Bản chính: 1\\nBản sao: 0"); legal rows may carry only
the number of their code, the full code being in the summary.
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
from knowledge.model import Channel, Document, Fee, LegalBasis, Procedure
from knowledge.text import normalize_text

_COUNTS = re.compile(r"Bản chính:\s*(?P<originals>\d+)\s*Bản sao:\s*(?P<copies>\d+)")
_FEE = re.compile(r"(?:Lệ phí|Phí)\s*:\s*(?P<amount>[\d.,]*)\s*Đồng")
_NO_FEE = re.compile(r"(?:Lệ phí|Phí)\s*:\s*(?:[Kk]hông|[Mm]iễn phí)\.?")
"""A cell saying there is no fee ("Phí : Không", once the unit glued after it is gone)."""
_CODE = re.compile(cells.LEGAL_CODE)


def parse(record: Mapping[str, Any], problems: Problems) -> Procedure:
    """One procedure from a document-export record."""
    meta = record.get("metadata", {})
    content = record.get("content", {})
    tables = record.get("tables", {})
    code = normalize_text(meta.get("mã_thủ_tục") or record["thu_tuc_id"])
    texts = " ".join(str(v) for v in content.values())
    arranged = structure.arrange([structure.Block("", _documents(code, tables, problems))])
    agencies, district = current_agencies(
        code, split_list(content.get("cơ_quan_thực_hiện", "")), problems
    )
    return Procedure(
        code=code,
        name=normalize_text(meta.get("tên_thủ_tục", "")),
        levels=split_list(meta.get("cấp_thực_hiện", "")),
        field=optional(meta.get("lĩnh_vực", "")),
        applicants=split_list(content.get("đối_tượng_thực_hiện", "")),
        agencies=agencies,
        authority=optional(content.get("cơ_quan_có_thẩm_quyền", "")),
        address=optional(content.get("địa_chỉ_tiếp_nhận_hs", "")),
        channels=tuple(_channels(code, tables.get("hinh_thuc_nop", []), problems)),
        documents=arranged.groups,
        present_documents=arranged.present,
        notes=arranged.notes,
        steps=split_steps(content.get("trình_tự_thực_hiện", "")),
        conditions=optional(content.get("yêu_cầu_điều_kiện_thực_hiện", ""), multiline=True),
        result=optional(content.get("kết_quả_thực_hiện", "")),
        legal_basis=tuple(_legal(code, tables.get("can_cu_phap_ly", []), problems)),
        online=online_filing(texts),
        decision=optional(meta.get("số_quyết_định", "")),
        ministry="bo-quoc-phong",
        extra=_extra(record, meta, content) | district,
    )


def _extra(
    record: Mapping[str, Any], meta: Mapping[str, Any], content: Mapping[str, Any]
) -> dict[str, str]:
    extra = {
        "procedure_type": optional(meta.get("loại_thủ_tục", "")),
        "coordinating_agency": optional(content.get("cơ_quan_phối_hợp", "")),
        "delegated_agency": optional(content.get("cơ_quan_được_ủy_quyền", "")),
        "source_file": normalize_text(record.get("source_file", "")),
    }
    return {k: v for k, v in extra.items() if v}


def _channels(code: str, rows: list[Mapping[str, str]], problems: Problems) -> Iterator[Channel]:
    for row in rows:
        try:
            kind = channel_kind(row.get("hinh_thuc", ""))
        except KeyError:
            problems.add(code, "channels", f"unknown channel {row.get('hinh_thuc')!r}")
            continue
        yield Channel(
            kind=kind,
            time=cells.duration(_time_text(row.get("thoi_han_giai_quyet", ""))),
            fee=_fee(row.get("phi_le_phi", ""), row.get("mo_ta", "")),
            description=optional(row.get("mo_ta", "")),
        )


def _time_text(text: str) -> str:
    """ "Không quy định" (no time limit set) is no information about a time."""
    return "" if normalize_text(text) == "Không quy định" else text


def _fee(cell: str, description: str) -> Fee | None:
    """ "Phí : 0 Đồng" / "Lệ phí : 50.000 Đồng" cells, several joined when a row lists both;
    "Phí : Không Đồng" is free."""
    cell = cells.unglued_unit(normalize_text(cell))
    if not cell:
        return None
    amounts = [int(m["amount"].replace(".", "").replace(",", "") or 0) for m in _FEE.finditer(cell)]
    explicit = cells.text_amount(description) if description else None
    if explicit is not None:
        return Fee(explicit, cell)
    if _NO_FEE.fullmatch(cell):
        return Fee(0, cell)
    return Fee(sum(amounts) if amounts else None, cell)


def _documents(code: str, tables: Mapping[str, Any], problems: Problems) -> list[Document]:
    documents = []
    for row in tables.get("thanh_phan_ho_so", []):
        name = normalize_text(row.get("ten_giay_to", "")).lstrip("-+* ")
        counts = _COUNTS.search(row.get("ghi_chu", ""))
        if not name:
            continue
        if counts is None:
            problems.add(code, "documents", f"no counts for {name[:40]!r}")
        template = normalize_text(row.get("so_luong", "")) or None
        documents.append(
            Document(
                name,
                int(counts["originals"]) if counts else None,
                int(counts["copies"]) if counts else None,
                template,
            )
        )
    return documents


def _legal(code: str, rows: list[Mapping[str, str]], problems: Problems) -> Iterator[LegalBasis]:
    """Legal rows with their codes.

    The code comes from ``so_ky_hieu`` or, when that holds only the number of the document
    ("12"), from the summary ("Quyết định số 12/2021/QĐ-TTg ...").
    """
    for row in rows:
        title = normalize_text(row.get("trich_yeu", ""))
        number = normalize_text(row.get("so_ky_hieu", ""))
        full = _CODE.search(number) or _CODE.search(title)
        if full is None:
            problems.add(code, "legal_basis", f"row without a recognised code: {number[:60]!r}")
        yield LegalBasis(title or number, full.group() if full else None)
