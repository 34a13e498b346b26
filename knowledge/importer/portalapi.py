"""The portal's own API records (``procedures-portal-api.jsonl.gz``): the structure pages flatten.

Channels, fees, document groups and legal rows arrive as separate fields, so nothing is cut out
of glued cells here; what a group heading or a row means is still decided by the shared
:func:`~knowledge.importer.structure.arrange`, as for the page crawl. Text fields may carry
HTML, which is reduced to its text.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from html.parser import HTMLParser
from typing import Any

from knowledge.importer import cells, structure
from knowledge.importer.common import Problems, current_agencies, optional, split_steps
from knowledge.model import (
    Channel,
    ChannelKind,
    Document,
    Duration,
    Fee,
    LegalBasis,
    OnlineFiling,
    Procedure,
)
from knowledge.text import normalize_text

PAGE_URL = "https://dichvucong.gov.vn/thu-tuc-hanh-chinh/{id}"

_KINDS = {"ONLINE": ChannelKind.ONLINE, "POSTAL": ChannelKind.POST, "DIRECT": ChannelKind.IN_PERSON}
# The API's time units; "OTHER" means the unit is in the description, or lost.
_UNITS = {
    "WORKING_DAY": ("working_days", "Ngày làm việc"),
    "DAY": ("days", "Ngày"),
    "HOUR": ("hours", "Giờ"),
    "MONTH": ("months", "Tháng"),
    "YEAR": ("years", "Năm"),
}
_BULLETS = "-+*•.\uf0fc\uf0d8 "
_LEVELS = (("isMinistry", "Cấp bộ"), ("isProvince", "Cấp tỉnh"), ("isWard", "Cấp xã"))


def is_record(record: Mapping[str, Any]) -> bool:
    """Whether a record has the portal API's shape."""
    return "executionCases" in record and "executionMethods" in record


def parse(record: Mapping[str, Any], problems: Problems) -> Procedure:
    """One procedure from an API record; what cannot be parsed fully goes to ``problems``."""
    code = normalize_text(record["code"])
    papers = structure.arrange(_tables(record.get("executionCases") or ()))
    agencies, district = current_agencies(
        code, _names(record.get("departmentsExecuting")), problems
    )
    channels = tuple(_channels(code, record.get("executionMethods") or (), problems))
    results = record.get("resultsDetails") or ()
    proposal = record.get("procedureProposal") or {}
    return Procedure(
        code=code,
        name=normalize_text(record["name"]),
        levels=tuple(label for key, label in _LEVELS if record.get(key)),
        field="; ".join(_names(record.get("categoriesDetails"))),
        applicants=_names(record.get("subjectTypesDetails")),
        agencies=agencies,
        authority="; ".join(_names(record.get("departmentsAuthority"))),
        address=_text(record.get("dossierReceivingAddresses")),
        channels=channels,
        documents=papers.groups,
        present_documents=papers.present,
        steps=_steps(record.get("executionSteps") or ()),
        conditions=_text(record.get("requirementsAndConditions"), multiline=True),
        result="; ".join(_names(results)),
        legal_basis=tuple(_legal(record.get("legalBasisesDetails") or ())),
        online=_online(record, channels),
        source_url=PAGE_URL.format(id=record["id"]) if record.get("id") else "",
        decision=optional(proposal.get("proposalNumber") or record.get("decisionNo") or ""),
        ministry=normalize_text(record.get("departmentPromulgateName") or ""),
        extra=_extra(record, results) | district,
        notes=papers.notes,
    )


def _names(items: Sequence[Mapping[str, Any]] | None) -> tuple[str, ...]:
    """The distinct names of a list of API objects, in order."""
    names = (normalize_text(str(item.get("name") or "")) for item in items or ())
    return tuple(dict.fromkeys(name for name in names if name))


def _text(value: object, *, multiline: bool = False) -> str:
    """A text field without its HTML; "" where the portal has no information."""
    return optional(_strip_html(str(value or "")), multiline=multiline)


def _extra(record: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    extra = {
        "procedure_type": normalize_text(str(record.get("type") or "")),
        "coordinating_agency": "; ".join(_names(record.get("departmentsCoordinating"))),
        "delegated_agency": "; ".join(_names(record.get("departmentsAuthorized"))),
        "result_codes": "; ".join(str(r["code"]) for r in results if r.get("code")),
        "keywords": _text(record.get("keywords")),
        "remark": _text(record.get("note"), multiline=True),
    }
    return {k: v for k, v in extra.items() if v}


def _channels(
    code: str, methods: Sequence[Mapping[str, Any]], problems: Problems
) -> Iterator[Channel]:
    for method in methods:
        kind = _KINDS.get(str(method.get("submissionMethod")))
        if kind is None:
            problems.add(code, "channels", f"unknown channel {method.get('submissionMethod')!r}")
            continue
        description = _text(method.get("description"))
        yield Channel(
            kind=kind,
            time=_duration(method, description),
            fee=_fee(method.get("fees") or ()),
            description=description,
        )


def _duration(method: Mapping[str, Any], description: str) -> Duration | None:
    """The channel's time; with "OTHER" as unit the number keeps no unit (it got lost)."""
    value = method.get("processingTime")
    unit = _UNITS.get(str(method.get("processingTimeUnit")))
    if not isinstance(value, int | float):
        # Some records hold the time as a sentence ("theo dự án đã được ... phê duyệt").
        text = _text(value)
        return Duration(None, None, text) if text else None
    number = float(value)
    shown = f"{number:g}"
    if unit is None:
        return Duration(number, None, f"{shown} ({description})" if description else shown)
    return Duration(number, unit[0], f"{shown} {unit[1]}")


def _fee(fees: Sequence[Mapping[str, Any]]) -> Fee | None:
    """One fee per channel: the amount when a single fee states one, every fee's text.

    Each API fee has a value and a description; read as the page's "amount (note)" cell, so a
    value of 0 beside "135.000 đồng" takes the description's amount, as the page crawl does.
    """
    parsed = [
        cells.fee(f"{value:,} Đồng" if value else "", _text(item.get("description")))
        for item in fees
        for value in (int(item.get("value") or 0),)
    ]
    found = [fee for fee in parsed if fee is not None]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    return Fee(None, "; ".join(fee.text for fee in found))


def _tables(cases: Sequence[Mapping[str, Any]]) -> Iterator[structure.Block]:
    """Each API document group as a heading and its rows."""
    for case in cases:
        rows = []
        for component in case.get("profileComponents") or ():
            # Without list bullets, as the page crawl's rows reach the shared arrangement.
            name = normalize_text(_strip_html(str(component.get("name") or ""))).lstrip(_BULLETS)
            if not name:
                continue
            files = [
                normalize_text(str(a.get("fileName") or ""))
                for a in component.get("attachments") or ()
            ]
            rows.append(
                Document(
                    name,
                    _count(component.get("originalQty")),
                    _count(component.get("copyQty")),
                    "; ".join(f for f in files if f) or None,
                )
            )
        yield structure.Block(normalize_text(str(case.get("name") or "")), rows)


def _count(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def _steps(steps: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    text = "\n".join(
        ": ".join(
            part
            for part in (_strip_html(str(s.get(k) or "")) for k in ("name", "description"))
            if part
        )
        for s in steps
    )
    return split_steps(text)


def _legal(rows: Sequence[Mapping[str, Any]]) -> Iterator[LegalBasis]:
    for row in rows:
        title = normalize_text(str(row.get("name") or ""))
        code = normalize_text(str(row.get("code") or "")) or None
        if title or code:
            yield LegalBasis(title or code or "", code)


def _online(record: Mapping[str, Any], channels: Sequence[Channel]) -> OnlineFiling | None:
    """Full online filing where the portal says so, partial where it offers an online channel."""
    if record.get("isFullProcess"):
        return OnlineFiling.FULL
    return OnlineFiling.PARTIAL if any(c.kind is ChannelKind.ONLINE for c in channels) else None


class _TextOnly(HTMLParser):
    """Collects the text of an HTML fragment, a line break for each block element."""

    _BLOCKS = frozenset({"p", "br", "div", "li", "tr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)
