"""A knowledge base rebuilt from the portal's data files, and what it changes.

The knowledge base is built from several files (``knowledge/data/source``: the page crawl,
the document export, the portal API's records, the catalogue). A file staff upload replaces
the source of the same name, or joins them under a new name; the whole set is imported again
(``motcua kb import`` does the same), so a procedure a new file no longer carries is shown as
removed before anyone puts the result in force. Importing the shipped sources takes tens of
seconds of CPU: callers run :func:`rebuild` in a thread.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from knowledge.model import Procedure
from knowledge.store import encode_knowledge_base, procedure_to_dict

SUFFIXES = (".jsonl", ".jsonl.gz")
"""The portal data files the importer reads."""

SHOWN = 300
"""Codes listed per kind of change in a summary; the counts are always whole."""


def shipped_sources(directory: Path | None = None) -> dict[str, Path]:
    """The source files the shipped knowledge base was built from, by file name."""
    folder = directory or Path(str(resources.files("knowledge.data.source")))
    return {p.name: p for p in sorted(folder.iterdir()) if p.name.endswith(SUFFIXES)}


@dataclass(frozen=True, slots=True)
class Rebuilt:
    """The new knowledge base's file bytes and the summary staff review before applying it."""

    data: bytes
    summary: dict[str, Any]


def rebuild(
    shipped: Mapping[str, Path], uploaded: Mapping[str, bytes], current: Iterable[Procedure]
) -> Rebuilt:
    """Import the shipped sources with ``uploaded`` replacing those of the same name.

    Raises:
        OSError, EOFError: a file is not readable (a damaged gzip).
        ValueError: a line is not a JSON object.
    """
    # The importer (its parsers, tqdm) is loaded by the first rebuild, not by every worker.
    from knowledge.importer import compare, import_files

    with tempfile.TemporaryDirectory(prefix="motcua-kb-") as folder:
        paths = dict(shipped)
        for name, data in uploaded.items():
            path = Path(folder) / name
            path.write_bytes(data)
            paths[name] = path
        result = import_files(paths.values())
    before = {p.code: p for p in current}
    after = {p.code: p for p in result.procedures}
    changes = compare(before.values(), after.values())
    summary = {
        "records": result.records,
        "procedures": len(result.procedures),
        "problems": len({p.code for p in result.problems}),
        "counts": {
            "added": len(changes.added),
            "changed": len(changes.changed),
            "removed": len(changes.removed),
        },
        "added": [[code, after[code].name] for code in changes.added[:SHOWN]],
        "changed": [
            [code, after[code].name, changed_parts(before[code], after[code])]
            for code in changes.changed[:SHOWN]
        ],
        "removed": [[code, before[code].name] for code in changes.removed[:SHOWN]],
    }
    return Rebuilt(encode_knowledge_base(result.procedures), summary)


def changed_parts(old: Procedure, new: Procedure) -> list[str]:
    """The parts of a procedure (documents, fees, channels...) that differ between versions."""
    before, after = procedure_to_dict(old), procedure_to_dict(new)
    return sorted(key for key in before.keys() | after.keys() if before.get(key) != after.get(key))
