"""Fixtures for the knowledge tests: the portal source records shipped in the package."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from knowledge.asking import Asking
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import Questions
from knowledge.store import default_path

SOURCE_DIR = default_path().parent / "source"
RAW_SOURCE = SOURCE_DIR / "procedures-raw.jsonl.gz"
DOCEXPORT_SOURCE = SOURCE_DIR / "procedures-bqp-docexport.jsonl.gz"
API_SOURCE = SOURCE_DIR / "procedures-portal-api.jsonl.gz"
CATALOGUE_SOURCE = SOURCE_DIR / "catalogue-portal-api.jsonl.gz"


def record_code(record: dict[str, Any]) -> str:
    """The national code of a record of either source shape."""
    return str(record.get("ma_thu_tuc") or record["thu_tuc_id"])


@pytest.fixture(scope="session")
def source_records() -> dict[str, dict[str, Any]]:
    """Every record of both shipped source files, by national code."""
    records: dict[str, dict[str, Any]] = {}
    for path in (RAW_SOURCE, DOCEXPORT_SOURCE):
        with gzip.open(path, "rt", encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                records[record_code(record)] = record
    return records


def _by_code(path: Path) -> dict[str, dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return {(r := json.loads(line))["code"]: r for line in lines}


@pytest.fixture(scope="session")
def api_records() -> dict[str, dict[str, Any]]:
    """Every record of the shipped portal-API source file, by national code."""
    return _by_code(API_SOURCE)


@pytest.fixture(scope="session")
def catalogue_records() -> dict[str, dict[str, Any]]:
    """Every record of the shipped catalogue file, by national code."""
    return _by_code(CATALOGUE_SOURCE)


@pytest.fixture
def write_source(tmp_path: Path) -> Callable[[str, list[dict[str, Any]]], Path]:
    """A writer of gzip JSON-lines source files (the shipped shape) under ``tmp_path``."""

    def write(name: str, records: list[dict[str, Any]]) -> Path:
        path = tmp_path / name
        with gzip.open(path, "wt", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path

    return write


@pytest.fixture(scope="session")
def kb(knowledge: LocalKnowledgeBase) -> LocalKnowledgeBase:
    """The shipped knowledge base (``tests/conftest.py``), by the name the knowledge tests use."""
    return knowledge


@pytest.fixture(scope="session")
def questions() -> Questions:
    """The curated portal help, law and asking phrases the answer route reads."""
    return Questions.load()


@pytest.fixture(scope="session")
def asking() -> Asking:
    """The phrases that find the part of a letter that asks."""
    return Asking.load()
