"""The built search index kept on disk (``MOTCUA_CACHE_DIR``): read back by the next start,
never stale when the knowledge base or the code that indexes it changes, built once when two
processes start together, and never in the way when the folder is damaged or unwritable."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import knowledge
from bot.cli import main
from knowledge.cache import cached_index, fingerprint
from knowledge.model import Procedure
from knowledge.store import save_knowledge_base

BIRTH = Procedure(code="9.000001", name="Thủ tục đăng ký khai sinh")
DEATH = Procedure(code="9.000002", name="Thủ tục đăng ký khai tử")


def asked(capsys: pytest.CaptureFixture[str], kb: Path, query: str) -> str | None:
    """The code ``motcua ask --json --kb KB QUERY`` matches."""
    assert main(["ask", "--json", "--kb", str(kb), query]) == 0
    match = json.loads(capsys.readouterr().out)["match"]
    return match and match["code"]


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("index-*.pickle"))


def test_a_start_reads_back_the_index_an_earlier_start_built(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    kb, folder = tmp_path / "kb.json.gz", tmp_path / "cache"
    save_knowledge_base([BIRTH], kb)
    monkeypatch.setenv("MOTCUA_CACHE_DIR", str(folder))

    assert asked(capsys, kb, "dang ky khai sinh") == "9.000001"
    [entry] = entries(folder)
    built = entry.stat().st_mtime_ns
    assert asked(capsys, kb, "dang ky khai sinh") == "9.000001"
    assert entries(folder) == [entry] and entry.stat().st_mtime_ns == built  # read, not rebuilt


def test_without_a_folder_named_nothing_is_kept(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The default: a kept index costs a worker memory (``bench/memory.md``)."""
    kb, data = tmp_path / "kb.json.gz", tmp_path / "data"
    save_knowledge_base([BIRTH], kb)
    monkeypatch.delenv("MOTCUA_CACHE_DIR", raising=False)
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(data))

    assert asked(capsys, kb, "dang ky khai sinh") == "9.000001"
    assert not list(tmp_path.rglob("index-*.pickle"))


def test_a_changed_knowledge_base_is_indexed_anew_never_served_from_the_old_entry(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    kb, folder = tmp_path / "kb.json.gz", tmp_path / "cache"
    monkeypatch.setenv("MOTCUA_CACHE_DIR", str(folder))
    save_knowledge_base([BIRTH], kb)
    assert asked(capsys, kb, "dang ky khai sinh") == "9.000001"

    save_knowledge_base([DEATH], kb)  # same path, same size class, other procedure

    assert asked(capsys, kb, "dang ky khai tu") == "9.000002"
    assert asked(capsys, kb, "dang ky khai sinh") != "9.000001"
    assert len(entries(folder)) == 2


def test_a_change_to_the_indexing_code_or_vocabulary_names_another_entry(tmp_path: Path) -> None:
    package = Path(knowledge.__file__).parent
    code = tmp_path / "knowledge"
    shutil.copytree(package, code, ignore=shutil.ignore_patterns("__pycache__"))
    kb = tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH], kb)
    folder = tmp_path / "cache"
    data = kb.read_bytes()
    before = fingerprint(data, code)
    assert before == fingerprint(data, package)  # the copy is the code that runs

    cached_index(kb, folder, code)
    index = code / "search" / "index.py"
    index.write_text(index.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed_code = fingerprint(data, code)
    cached_index(kb, folder, code)
    priors = code / "data" / "search" / "priors.tsv"
    priors.write_text(priors.read_text(encoding="utf-8") + "\n", encoding="utf-8")

    assert len({before, changed_code, fingerprint(data, code)}) == 3
    assert [p.name for p in entries(folder)] == sorted(
        f"index-{key}.pickle" for key in (before, changed_code)
    )


def test_a_damaged_entry_is_built_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    kb, folder = tmp_path / "kb.json.gz", tmp_path / "cache"
    save_knowledge_base([BIRTH], kb)
    cached_index(kb, folder)
    [entry] = entries(folder)
    entry.write_bytes(entry.read_bytes()[:1000])  # cut short, as by a full disk

    index = cached_index(kb, folder)

    assert index.search("dang ky khai sinh").match.code == "9.000001"
    assert "unreadable, built again" in caplog.text
    caplog.clear()
    assert cached_index(kb, folder).search("khai sinh").match.code == "9.000001"
    assert "unreadable" not in caplog.text  # the entry written again reads back


def test_an_unwritable_folder_only_costs_the_indexing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    kb = tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH], kb)
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the folder should be")

    index = cached_index(kb, not_a_folder)

    assert index.search("dang ky khai sinh").match.code == "9.000001"
    assert "knowledge index not kept" in caplog.text


BUILD_AFTER_GO = """
import logging, sys, time
from pathlib import Path
from knowledge.base import LocalKnowledgeBase

logging.basicConfig(level=logging.INFO, format="%(name)s %(message)s")
Path(sys.argv[3]).touch()
go = Path(sys.argv[1])
while not go.exists():
    time.sleep(0.01)
kb = LocalKnowledgeBase.load(sys.argv[4], Path(sys.argv[2]))
print(len(kb), kb.search("dang ky khai sinh").match.code)
"""


@pytest.mark.slow
def test_two_processes_starting_together_build_the_index_once(tmp_path: Path) -> None:
    """Both ask for the index within a hundredth of a second, while building it (the
    vocabulary read, then two procedures indexed) takes tenths."""
    go, folder, kb = tmp_path / "go", tmp_path / "cache", tmp_path / "kb.json.gz"
    save_knowledge_base([BIRTH, DEATH], kb)
    ready = [tmp_path / "ready-1", tmp_path / "ready-2"]
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", BUILD_AFTER_GO, str(go), str(folder), str(flag), str(kb)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for flag in ready
    ]
    while not all(flag.exists() for flag in ready):  # both past their imports
        assert all(process.poll() is None for process in starting)
        time.sleep(0.01)
    go.touch()
    done = [process.communicate(timeout=120) for process in starting]

    assert [process.returncode for process in starting] == [0, 0], done
    assert [out.split() for out, _ in done] == [["2", "9.000001"]] * 2
    assert sum(err.count("knowledge index built and kept") for _, err in done) == 1
    assert len(entries(folder)) == 1
    assert not list(folder.glob("*.partial"))
