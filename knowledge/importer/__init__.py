"""Importing the National Public Service Portal's procedure data into the knowledge base.

Four source shapes are read (the page crawl, the document export, the portal API's records and
the portal's catalogue, told apart per record) into one :class:`~knowledge.model.Procedure`
model. Where sources share a code the better-structured record is kept (:func:`preference`);
every kept record that could not be parsed fully is reported with the reason, and a re-import
is compared with the previous knowledge base.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from tqdm import tqdm

from knowledge.importer import catalogue, docexport, issuers, portal, portalapi
from knowledge.importer.common import Problem, Problems
from knowledge.model import Procedure

__all__ = [
    "Changes",
    "ImportResult",
    "Problem",
    "compare",
    "import_files",
    "parse_record",
    "preference",
]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """Parsed procedures (sorted by code) and what could not be parsed fully."""

    procedures: tuple[Procedure, ...]
    problems: tuple[Problem, ...]
    records: int
    duplicates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Changes:
    """Codes added, changed and removed between two knowledge bases."""

    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        """Whether anything differs."""
        return bool(self.added or self.changed or self.removed)


@dataclass
class _Reader:
    problems: Problems = field(default_factory=Problems)
    records: int = 0


def parse_record(record: Mapping[str, Any], problems: Problems) -> Procedure:
    """One procedure from a record of any source shape."""
    if "thu_tuc_id" in record:
        return docexport.parse(record, problems)
    if portalapi.is_record(record):
        return portalapi.parse(record, problems)
    if catalogue.is_record(record):
        return catalogue.parse(record, problems)
    return portal.parse(record, problems)


def preference(
    procedure: Procedure, problems: int, *, structured: bool = False
) -> tuple[bool, int, int, int, bool]:
    """How well a record is structured, to keep the best one of several with the same code.

    In order: detailed beats catalogue-only; then more of what a citizen needs is there
    (channels, papers, steps, legal basis, agencies); then fewer parts that could not be parsed
    fully; then more channels whose fee is stated and whose time keeps its unit; then a record
    ``structured`` by its source (the portal API's, whose cells were never glued together).
    """
    sections = sum(
        bool(part)
        for part in (
            procedure.channels,
            procedure.documents or procedure.present_documents,
            procedure.steps,
            procedure.legal_basis,
            procedure.agencies or procedure.authority,
        )
    )
    stated = sum(
        (c.fee is not None) + (c.time is not None and c.time.unit is not None)
        for c in procedure.channels
    )
    return (not procedure.catalogue_only, sections, -problems, stated, structured)


def import_files(paths: Iterable[str | Path], progress: TextIO | None = None) -> ImportResult:
    """Parse every record of the given ``.jsonl`` / ``.jsonl.gz`` files.

    Args:
        paths: source files, in any order (the result does not depend on it).
        progress: where to draw a progress bar (stderr from the CLI); None draws nothing.

    Raises:
        OSError: a file cannot be read.
        ValueError: a line is not a JSON object.
    """
    reader = _Reader()
    by_code: dict[str, tuple[Procedure, list[Problem], bool]] = {}
    duplicates: list[str] = []
    named_by_catalogue: dict[str, str] = {}
    for path in sorted(Path(p) for p in paths):
        records = list(_records(path))
        bar = tqdm(
            records, desc=path.name, unit=" thủ tục", file=progress, disable=progress is None
        )
        for number, record in bar:
            reader.records += 1
            found = Problems()
            try:
                procedure = parse_record(record, found)
            except (KeyError, TypeError, AttributeError) as exc:
                where = f"{path.name}:{number}"
                reader.problems.add(where, "record", f"not a procedure record ({exc!r}), skipped")
                continue
            if catalogue.is_record(record) and procedure.ministry:
                named_by_catalogue[procedure.code] = procedure.ministry
            structured = portalapi.is_record(record)
            kept = by_code.get(procedure.code)
            if kept is not None:
                duplicates.append(procedure.code)
                mine = preference(procedure, len(found.items), structured=structured)
                if mine <= preference(kept[0], len(kept[1]), structured=kept[2]):
                    continue  # on a full tie the record read first stays
            by_code[procedure.code] = (procedure, found.items, structured)
    kept_records = issuers.named((p for p, _, _ in by_code.values()), named_by_catalogue)
    ordered = tuple(sorted(kept_records, key=lambda p: p.code))
    reader.problems.items.extend(item for _, items, _ in by_code.values() for item in items)
    problems = tuple(sorted(reader.problems.items, key=lambda p: (p.code, p.part, p.reason)))
    return ImportResult(ordered, problems, reader.records, tuple(sorted(duplicates)))


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each record of a JSON-lines file with its line number."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(f"{path.name}:{number}: not JSON ({exc})") from exc
            if not isinstance(record, dict):
                raise ValueError(f"{path.name}:{number}: not a JSON object")
            yield number, record


def compare(old: Iterable[Procedure], new: Iterable[Procedure]) -> Changes:
    """What a new knowledge base adds, changes and removes relative to an old one."""
    before = {p.code: p for p in old}
    after = {p.code: p for p in new}
    return Changes(
        added=tuple(sorted(after.keys() - before.keys())),
        changed=tuple(sorted(c for c in after.keys() & before.keys() if after[c] != before[c])),
        removed=tuple(sorted(before.keys() - after.keys())),
    )
