"""Search keys: the spelling differences citizens make collapse to one key, and no more."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from knowledge.search.lexicon import Lexicon, LexiconError, PhraseTable
from knowledge.search.tokens import looks_foreign, spelled_keys, telex_key, tokenize


def test_diacritics_tone_placement_and_i_y_collapse() -> None:
    same = ["Đăng ký kết hôn", "dang ky ket hon", "đăng kí kết hôn", "ĐĂNG KÝ KẾT HÔN"]
    assert {tuple(tokenize(s)) for s in same} == {("dang", "ki", "ket", "hon")}
    assert tokenize("hoà giải") == tokenize("hòa giải") == ["hoa", "giai"]
    assert tokenize("Uỷ ban") == tokenize("Ủy ban")


def test_qu_keeps_its_y_and_words_stay_apart() -> None:
    assert tokenize("quý") == ["quy"]
    assert tokenize("lý lịch tư pháp, số 1!") == ["li", "lich", "tu", "phap", "so", "1"]


def test_spelled_keys_keep_the_written_word() -> None:
    assert spelled_keys("Cấp lại Giấy phép lái xe") == (
        ("cap", "cấp"),
        ("lai", "lại"),
        ("giay", "giấy"),
        ("phep", "phép"),
        ("lai", "lái"),
        ("xe", "xe"),
    )


def test_foreign_letters() -> None:
    assert looks_foreign("football") and looks_foreign("weather")
    assert not looks_foreign("khai")


def test_phrase_table_prefers_the_longest_phrase_and_says_things_once() -> None:
    table = PhraseTable(
        {
            ("so", "do"): ("giay", "chung", "nhan"),
            ("mat", "so", "do"): ("cap", "lai"),
            ("ko",): (),
            ("birth",): ("khai", "sinh"),
            ("birth", "certificate"): ("khai", "sinh"),
        }
    )
    assert table.rewrite(["mat", "so", "do", "ko"]) == ["cap", "lai"]
    assert table.rewrite(["cap", "so", "do"]) == ["cap", "giay", "chung", "nhan"]
    assert table.rewrite(["birth", "certificate", "birth"]) == ["khai", "sinh"]


def test_telex_residue_becomes_the_plain_syllable() -> None:
    assert [telex_key(t) for t in ["ddawng", "kys", "hooj", "chieeus", "cuwowcs", "truwowngf"]] == [
        "dang",
        "ki",
        "ho",
        "chieu",
        "cuoc",
        "truong",
    ]


def test_a_broken_vocabulary_line_is_reported_with_its_file(tmp_path: Path) -> None:
    source = Path(str(resources.files("knowledge.data.search")))
    for data_file in source.iterdir():
        if data_file.suffix in {".tsv", ".txt"}:
            shutil.copy(data_file, tmp_path / data_file.name)
    with (tmp_path / "priors.tsv").open("a", encoding="utf-8") as f:
        f.write("1.001193\tnhiều\n")
    with pytest.raises(LexiconError, match=r"priors\.tsv: 'nhiều' is not a number"):
        Lexicon.load(tmp_path)
