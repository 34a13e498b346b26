"""``motcua ask``: the human answer, the stable ``--json`` shape, and polite refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from knowledge.model import Procedure
from knowledge.store import save_knowledge_base


def ask(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["ask", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_answer_has_exactly_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ask(capsys, "--json", "--limit", "4", "dang ky khai sinh")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 1  # exactly one object
    data = json.loads(lines[0])
    assert set(data) == {"query", "match", "alternatives", "candidates"}
    assert data["query"] == "dang ky khai sinh"
    assert set(data["match"]) == {"code", "name", "score"}
    assert data["match"]["code"] == "1.001193"
    assert data["match"]["name"] == "Thủ tục đăng ký khai sinh"
    assert isinstance(data["match"]["score"], float)
    assert len(data["alternatives"]) == 3
    for alt in data["alternatives"]:
        assert set(alt) == {"code", "name", "score"}
        assert alt["score"] <= data["match"]["score"]


def test_json_answer_for_off_topic_is_null_match(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ask(capsys, "--json", "giá vàng hôm nay")
    assert code == 0
    assert json.loads(out) == {
        "query": "giá vàng hôm nay",
        "match": None,
        "alternatives": [],
        "candidates": [],
    }


def test_human_answer_names_the_procedure_and_its_variants(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = ask(capsys, "đăng ký kết hôn")
    assert code == 0
    assert out.startswith("1.000894  Thủ tục đăng ký kết hôn")
    assert out.splitlines()[1] == "   khớp / matched: đăng ký kết hôn"  # the words it says
    assert "Trường hợp khác" in out and "2.000806" in out  # the foreign-element variant


def test_human_answer_when_nothing_fits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = ask(capsys, "kể chuyện cười đi")
    assert code == 0
    assert "Không tìm thấy thủ tục phù hợp" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["   "], "Xin nhập câu hỏi"),
        (["--limit", "0", "khai sinh"], "--limit"),
        (["--limit", "999", "khai sinh"], "--limit"),
    ],
)
def test_bad_input_is_refused_politely(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = ask(capsys, *argv)
    assert code == 2
    assert out == ""
    assert message in err


def test_unreadable_knowledge_base_is_reported(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    broken = tmp_path / "kb.json.gz"
    broken.write_bytes(b"not a knowledge base")
    code, out, err = ask(capsys, "--kb", str(broken), "khai sinh")
    assert code == 1 and out == ""
    assert "Không đọc được" in err
    code, _, err = ask(capsys, "--kb", str(tmp_path / "missing.json.gz"), "khai sinh")
    assert code == 1 and "Không đọc được" in err


def test_another_knowledge_base_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kb.json.gz"
    save_knowledge_base([Procedure(code="9.000001", name="Thủ tục đăng ký khai sinh")], path)
    code, out, _ = ask(capsys, "--json", "--kb", str(path), "khai sinh")
    assert code == 0 and json.loads(out)["match"]["code"] == "9.000001"


def test_console_script_prints_one_json_line() -> None:
    script = Path(sys.executable).with_name("motcua")
    if not script.exists():
        pytest.skip("the motcua console script is not installed in this environment")
    done = subprocess.run(
        [str(script), "ask", "--json", "passport"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    data = json.loads(done.stdout)
    assert data["match"]["code"] in {"1.001456", "1.001471"}


TAX_STORY = "con tôi mới đi làm, công ty bảo phải có mã số thuế cá nhân thì đăng ký ở đâu"


def test_an_unsure_answer_lists_guesses_not_a_match(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", TAX_STORY, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["match"] is None
    assert data["candidates"][0]["code"] == "1.008498"  # first tax registration of a person
    assert main(["ask", TAX_STORY]) == 0
    assert capsys.readouterr().out.startswith("Chưa chắc chắn; có phải / not sure; did you mean:")


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    """``motcua ask ... | head``: no traceback when the pipe closes before the answer is out
    (a one-procedure knowledge base: the command answers in a moment instead of seconds)."""
    script = Path(sys.executable).with_name("motcua")
    if not script.exists():
        pytest.skip("the motcua console script is not installed in this environment")
    path = tmp_path / "kb.json.gz"
    save_knowledge_base([Procedure(code="9.000001", name="Thủ tục đăng ký khai sinh")], path)
    process = subprocess.Popen(
        [str(script), "ask", "--kb", str(path), "đăng ký khai sinh"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader has gone before anything is written
    with process.stderr:
        errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0
    assert errors == ""
