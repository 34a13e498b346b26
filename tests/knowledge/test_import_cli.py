"""``motcua kb import`` and ``motcua kb show`` driven through the real command entry point."""

from __future__ import annotations

import copy
import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from knowledge.importer.issuers import is_slug
from knowledge.store import default_path, load_knowledge_base, procedure_to_dict

Records = dict[str, dict[str, Any]]
WriteSource = Callable[[str, list[dict[str, Any]]], Path]


@pytest.fixture
def sources(source_records: Records, write_source: WriteSource) -> list[Path]:
    """A small crawl file (with one page missing its text) and a document-export file."""
    broken = copy.deepcopy(source_records["1.000656"])
    broken["raw_text"] = "Thủ tục đăng ký khai tử"
    crawl = [source_records["1.001193"], source_records["1.000017"], broken]
    return [
        write_source("crawl.jsonl.gz", crawl),
        write_source("export.jsonl.gz", [source_records["1.013133"]]),
    ]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_import_writes_the_knowledge_base_and_reports(
    sources: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "kb.json.gz"
    code, stdout, stderr = run(capsys, "kb", "import", *map(str, sources), "--out", str(out))
    assert code == 0
    assert [p.code for p in load_knowledge_base(out)] == [
        "1.000017",
        "1.000656",
        "1.001193",
        "1.013133",
    ]
    assert "thủ tục / procedures: 4" in stdout
    assert "có vấn đề / with problems: 1" in stdout
    assert "1.000656 [raw_text]: no 'Trình Tự Thực Hiện' section" in stdout
    assert "crawl.jsonl.gz" in stderr and "100%" in stderr  # the progress bar


def test_importing_the_same_files_twice_changes_nothing(
    sources: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "kb.json.gz"
    assert run(capsys, "kb", "import", *map(str, sources), "--out", str(out))[0] == 0
    first = out.read_bytes()
    code, stdout, _ = run(capsys, "kb", "import", *map(str, reversed(sources)), "--out", str(out))
    assert code == 0
    assert "Không có thay đổi / unchanged" in stdout
    assert out.read_bytes() == first


def test_reimport_reports_added_changed_and_removed(
    source_records: Records,
    write_source: WriteSource,
    sources: list[Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "kb.json.gz"
    run(capsys, "kb", "import", *map(str, sources), "--out", str(out))
    renamed = copy.deepcopy(source_records["1.001193"])
    renamed["ten_thu_tuc"] = "Thủ tục đăng ký khai sinh (sửa)"
    newer = write_source(
        "newer.jsonl.gz", [renamed, source_records["1.000017"], source_records["1.004222"]]
    )
    code, stdout, _ = run(capsys, "kb", "import", str(newer), "--out", str(out))
    assert code == 0
    assert "Thêm / added: 1; đổi / changed: 1; bỏ / removed: 2" in stdout
    assert "  + 1.004222" in stdout
    assert "  ~ 1.001193" in stdout
    assert "  - 1.000656" in stdout and "  - 1.013133" in stdout


def test_missing_source_is_a_polite_error_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "kb.json.gz"
    code, _, stderr = run(
        capsys, "kb", "import", str(tmp_path / "nope.jsonl.gz"), "--out", str(out)
    )
    assert code == 1
    assert "Không tìm thấy tệp / file not found" in stderr
    assert not out.exists()


def test_malformed_source_is_a_polite_error_and_keeps_the_old_file(
    sources: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "kb.json.gz"
    run(capsys, "kb", "import", *map(str, sources), "--out", str(out))
    before = out.read_bytes()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"ma_thu_tuc": "1.0"}\nnot json\n', encoding="utf-8")
    code, _, stderr = run(capsys, "kb", "import", str(bad), "--out", str(out))
    assert code == 1
    assert "Không đọc được dữ liệu / cannot read the sources: bad.jsonl:2: not JSON" in stderr
    assert out.read_bytes() == before


def test_a_record_that_is_not_a_procedure_is_reported_and_skipped(
    source_records: Records,
    write_source: WriteSource,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    odd = write_source("odd.jsonl.gz", [{"title": "no code"}, source_records["1.000017"]])
    out = tmp_path / "kb.json.gz"
    code, stdout, _ = run(capsys, "kb", "import", str(odd), "--out", str(out))
    assert code == 0
    assert (
        "odd.jsonl.gz:1 [record]: not a procedure record (KeyError('ma_thu_tuc')), skipped"
        in stdout
    )
    assert [p.code for p in load_knowledge_base(out)] == ["1.000017"]


@pytest.fixture
def built_kb(sources: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    out = tmp_path / "kb.json.gz"
    run(capsys, "kb", "import", *map(str, sources), "--out", str(out))
    return out


def test_show_prints_the_procedure_for_a_citizen(
    built_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(capsys, "kb", "show", "1.000017", "--kb", str(built_kb))
    assert code == 0
    assert "Mã thủ tục: 1.000017" in stdout
    assert "Cách thức nộp:" in stdout
    assert "  - Trực tuyến: thời hạn 1 ngày làm việc; phí, lệ phí: 50.000 đồng" in stdout
    assert "Giấy tờ phải nộp:\n  1. " in stdout
    assert "Nguồn: https://dichvucong.gov.vn/thu-tuc-hanh-chinh/" in stdout


def test_show_says_when_the_portal_lost_the_time_unit(
    built_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, stdout, _ = run(capsys, "kb", "show", "1.001193", "--kb", str(built_kb))
    assert "  - Trực tuyến: thời hạn 1 (cổng không ghi đơn vị); phí, lệ phí: Miễn phí" in stdout
    assert "Giấy tờ phải xuất trình:" in stdout


def test_show_one_section_marks_the_cases_and_leaves_the_rest_out(
    built_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(
        capsys, "kb", "show", "1.001193", "--section", "documents", "--kb", str(built_kb)
    )
    assert code == 0
    assert stdout.startswith("Giấy tờ phải nộp:\n  1. Tờ khai đăng ký khai sinh")
    assert "Trường hợp riêng (chỉ khi đúng với bạn) — Trường hợp trẻ em bị bỏ rơi:" in stdout
    assert "Mã thủ tục" not in stdout and "Cách thức nộp" not in stdout
    with pytest.raises(SystemExit):
        run(capsys, "kb", "show", "1.001193", "--section", "nonsense", "--kb", str(built_kb))


def test_show_names_the_export_file_when_there_is_no_page_link(
    built_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, stdout, _ = run(capsys, "kb", "show", "1.013133", "--kb", str(built_kb))
    assert stdout.rstrip().endswith(
        "Nguồn: Cổng Dịch vụ công quốc gia (dichvucong.gov.vn), ChiTietTTHC_1.013133.doc"
    )


def test_show_json_prints_the_full_record(
    built_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, _ = run(capsys, "kb", "show", "1.013133", "--json", "--kb", str(built_kb))
    assert code == 0
    shipped = {p.code: p for p in load_knowledge_base(built_kb)}
    assert json.loads(stdout) == procedure_to_dict(shipped["1.013133"])


def test_show_unknown_code_is_a_polite_error(
    built_kb: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, stdout, stderr = run(capsys, "kb", "show", "9.999999", "--kb", str(built_kb))
    assert code == 1
    assert stdout == ""
    assert "Không tìm thấy thủ tục mã '9.999999'" in stderr


def test_motcua_script_shows_a_shipped_procedure() -> None:
    script = Path(sys.executable).with_name("motcua")
    result = subprocess.run(
        [str(script), "kb", "show", "1.014063"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Cấp đổi thẻ căn cước\nMã thủ tục: 1.014063")


def test_show_names_the_issuing_ministry_not_its_folder(capsys: pytest.CaptureFixture[str]) -> None:
    """The page crawl files procedures under folders ("bo-nong-nghiep-mt"), which `kb show` and
    the cards printed as the issuer."""
    code, stdout, _ = run(capsys, "kb", "show", "1.000025")  # the shipped knowledge base
    assert code == 0
    assert "Cơ quan ban hành: Bộ Nông nghiệp và Môi trường" in stdout


def test_every_folder_of_the_shipped_sources_is_named_in_the_shipped_knowledge_base() -> None:
    """Each procedure the sources file under a folder (the crawl's ``_ministry_folder``, the
    Defence export's "bo-quoc-phong") carries an issuer's name in the shipped knowledge base."""
    sources = default_path().parent / "source"
    folders: dict[str, str] = {}
    with gzip.open(sources / "procedures-raw.jsonl.gz", "rt", encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            folders[record["ma_thu_tuc"].strip()] = record["_ministry_folder"]
    shipped = {p.code: p for p in load_knowledge_base(default_path())}
    assert {p.ministry for p in shipped.values() if is_slug(p.ministry)} == set()
    named: dict[str, set[str]] = {}
    for code, folder in folders.items():
        if code in shipped and not shipped[code].catalogue_only:
            named.setdefault(folder, set()).add(shipped[code].ministry)
    assert set(named) >= {"bo-nong-nghiep-mt", "bo-tu-phap", "bo-cong-an", "toa-an-nhan-dan"}
    for folder, names in named.items():
        assert names and all(name.startswith(("Bộ ", "Ngân hàng ", "Tòa án ")) for name in names), (
            folder,
            names,
        )


def test_import_names_a_folder_by_the_catalogue(
    source_records: Records,
    write_source: WriteSource,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A crawled procedure gets the name the catalogue gives its code; one the catalogue lacks
    gets the name its folder's other codes bear, not the folder."""
    land, other = (copy.deepcopy(source_records[c]) for c in ("1.000017", "1.001193"))
    land["_ministry_folder"] = other["_ministry_folder"] = "bo-nong-nghiep-mt"
    listed = {
        "id": "x",
        "code": "1.000017",
        "name": land["ten_thu_tuc"],
        "departmentPromulgate": "Bộ Nông nghiệp và Môi trường",
    }
    crawl = write_source("crawl.jsonl.gz", [land, other])
    listing = write_source("catalogue.jsonl.gz", [listed])
    out = tmp_path / "kb.json.gz"
    assert run(capsys, "kb", "import", str(crawl), str(listing), "--out", str(out))[0] == 0
    assert {p.code: p.ministry for p in load_knowledge_base(out)} == {
        "1.000017": "Bộ Nông nghiệp và Môi trường",
        "1.001193": "Bộ Nông nghiệp và Môi trường",
    }
