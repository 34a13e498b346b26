"""The portal's catalogue of procedures (``catalogue-portal-api.jsonl.gz``): names and codes only.

A catalogue record says that a procedure exists, its field, who carries it out, who issued it
and where its official page is, but not its papers, fees or times. It becomes a procedure marked
``catalogue_only``, so the bot can name it and link to it instead of answering with a look-alike,
and says plainly that it does not hold its paper list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from knowledge.importer.common import Problems, current_agencies
from knowledge.importer.portalapi import PAGE_URL
from knowledge.model import Procedure
from knowledge.text import normalize_text


def is_record(record: Mapping[str, Any]) -> bool:
    """Whether a record has the catalogue's shape."""
    return "departmentPromulgate" in record and "executionCases" not in record


def parse(record: Mapping[str, Any], problems: Problems) -> Procedure:
    """One "known, not detailed" procedure from a catalogue record."""
    code = normalize_text(record["code"])
    agencies, district = current_agencies(code, _strings(record.get("departments")), problems)
    kind = normalize_text(str(record.get("type") or ""))
    return Procedure(
        code=code,
        name=normalize_text(record["name"]),
        field="; ".join(_strings(record.get("categories"))),
        applicants=_strings(record.get("formalityTargetType")),
        agencies=agencies,
        source_url=PAGE_URL.format(id=record["id"]) if record.get("id") else "",
        ministry=normalize_text(str(record.get("departmentPromulgate") or "")),
        extra=({"procedure_type": kind} if kind else {}) | district,
        catalogue_only=True,
    )


def _strings(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(dict.fromkeys(s for s in (normalize_text(str(v)) for v in values) if s))
