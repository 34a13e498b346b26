"""The procedures citizens use most, parsed from the shipped sources, against hand-checked files.

Each ``golden/<code>.json`` was checked by reading the portal text it comes from; a parser change
that alters any of them must be checked the same way before the file is updated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import procedures

from knowledge.importer import parse_record, preference
from knowledge.importer.common import Problems
from knowledge.importer.issuers import is_slug
from knowledge.store import procedure_from_dict, procedure_to_dict

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.json"))
# Defects in the portal text itself, reported by the importer rather than guessed around.
SOURCE_DEFECTS = {
    # The last legal-basis row's code cell was cut short on the page ("Luật số 58").
    "1.012783": ["legal_basis"],
    # Names "Bảo hiểm xã hội cấp huyện"; the district level no longer exists.
    "1.001613": ["agencies"],
}


def test_there_are_forty_golden_procedures() -> None:
    assert len(GOLDEN) == 40


@pytest.mark.parametrize("golden", GOLDEN, ids=[g.stem for g in GOLDEN])
def test_parsed_record_matches_golden_file(
    golden: Path, source_records: dict[str, dict[str, Any]]
) -> None:
    problems = Problems()
    parsed = procedure_to_dict(parse_record(source_records[golden.stem], problems))
    assert parsed == json.loads(golden.read_text(encoding="utf-8"))
    assert [p.part for p in problems.items] == SOURCE_DEFECTS.get(golden.stem, [])


def test_shipped_knowledge_base_holds_the_golden_records(
    api_records: dict[str, dict[str, Any]],
) -> None:
    """Each golden record is shipped, unless the portal API's record of it is better structured;
    its ministry's folder is shipped as the issuer's name."""
    shipped = {p.code: p for p in procedures.shipped()}
    replaced = 0
    for golden in GOLDEN:
        expected = json.loads(golden.read_text(encoding="utf-8"))
        if golden.stem in api_records:
            problems = Problems()
            api = parse_record(api_records[golden.stem], problems)
            defects = len(SOURCE_DEFECTS.get(golden.stem, []))
            golden_rank = preference(procedure_from_dict(expected), defects)
            if preference(api, len(problems.items), structured=True) > golden_rank:
                expected = procedure_to_dict(api)
                replaced += 1
        kept = procedure_to_dict(shipped[golden.stem])
        if is_slug(expected["ministry"]):  # named from the catalogue over all the files
            assert kept["ministry"] and not is_slug(kept["ministry"]), golden.stem
            expected["ministry"] = kept["ministry"]
        assert kept == expected, golden.stem
    assert 0 < replaced < len(GOLDEN)
