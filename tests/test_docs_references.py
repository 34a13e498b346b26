"""Every test, module and command the README and ``bench/`` notes name exists.

The README promises things by naming the test that proves them; a renamed or deleted test
would leave a promise that nothing proves any more, so the names are checked here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "bench").glob("*.md"))]
TEST_REFERENCE = re.compile(r"(tests/[\w/]+\.py)((?:::[\w\[\]-]+)*)")
BENCH_MODULE = re.compile(r"python -m (bench\.\w+)")


def _references(pattern: re.Pattern[str]) -> list[tuple[str, re.Match[str]]]:
    return [
        (document.relative_to(ROOT).as_posix(), match)
        for document in DOCUMENTS
        for match in pattern.finditer(document.read_text(encoding="utf-8"))
    ]


def _defines(source: str, name: str) -> bool:
    return (
        re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(name)}\b", source, re.M)
        is not None
    )


def test_the_documents_name_tests_at_all() -> None:
    assert len(_references(TEST_REFERENCE)) > 50


@pytest.mark.parametrize("document", [d.relative_to(ROOT).as_posix() for d in DOCUMENTS])
def test_every_named_test_exists(document: str) -> None:
    missing = []
    for where, match in _references(TEST_REFERENCE):
        if where != document:
            continue
        path = ROOT / match.group(1)
        if not path.is_file():
            missing.append(match.group(0))
            continue
        source = path.read_text(encoding="utf-8")
        for part in match.group(2).split("::")[1:]:
            name = part.split("[")[0]
            if not _defines(source, name):
                missing.append(match.group(0))
    assert missing == []


def test_every_named_benchmark_exists() -> None:
    missing = {
        match.group(1)
        for _, match in _references(BENCH_MODULE)
        if not (ROOT / (match.group(1).replace(".", "/") + ".py")).is_file()
    }
    assert missing == set()
