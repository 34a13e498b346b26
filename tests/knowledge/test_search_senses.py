"""Colloquial words read in context (knowledge/data/search/senses.tsv), one test per sense."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from support.procedures import shipped

from knowledge.base import LocalKnowledgeBase
from knowledge.search import Lexicon
from knowledge.search.lexicon import read_senses

RESIDENCE = "1.004222"  # Đăng ký thường trú
REMOVE_RESIDENCE = "1.003197"  # Xóa đăng ký thường trú


def best(kb: LocalKnowledgeBase, query: str) -> str | None:
    result = kb.search(query)
    return result.match.code if result.match else None


@pytest.mark.parametrize(
    "query",
    ["nhập khẩu cho con vào nhà ông bà", "nhap khau cho vo ve nha chong", "nhập khẩu cho cháu"],
)
def test_nhap_khau_about_a_person_is_residence_registration(
    kb: LocalKnowledgeBase, query: str
) -> None:
    assert best(kb, query) == RESIDENCE


@pytest.mark.parametrize(
    "query",
    ["thủ tục hải quan nhập khẩu ô tô cũ", "nhập khẩu hàng hóa từ trung quốc cần giấy tờ gì"],
)
def test_nhap_khau_about_goods_is_a_customs_procedure(kb: LocalKnowledgeBase, query: str) -> None:
    code = best(kb, query)
    assert code is not None and code != RESIDENCE
    procedure = kb.get(code)
    assert procedure is not None and "nhập khẩu" in procedure.name.lower()


def test_cat_khau_about_a_person_removes_the_residence(kb: LocalKnowledgeBase) -> None:
    assert best(kb, "cắt khẩu cho bố đã mất") == REMOVE_RESIDENCE


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("làm lại căn cước bị mất", "1.014064"),  # Cấp lại thẻ căn cước
        ("làm lại bằng lái xe", "3.000348"),  # Cấp lại giấy phép lái xe
        ("cấp lại bằng lái xe bị mất", "3.000348"),
        ("đăng ký lại khai sinh", "1.004884"),  # Thủ tục đăng ký lại khai sinh
        ("khai sinh đăng ký cho con", "1.001193"),  # the name's words in another order
    ],
)
def test_redo_words_and_reordered_names_find_the_renamed_procedure(
    kb: LocalKnowledgeBase, query: str, expected: str
) -> None:
    assert best(kb, query) == expected


def test_the_first_sense_whose_cues_are_said_wins_and_the_default_comes_last() -> None:
    senses = Lexicon.load().senses
    assert read_senses(senses, ["nhap", "khau", "cho", "con"])[0] == [
        "dang",
        "ki",
        "thuong",
        "tru",
        "cho",
        "con",
    ]
    words, typed = read_senses(senses, ["nhap", "khau", "hang", "hoa"])
    assert words == ["nhap", "khau", "hang", "hoa"] and all(typed)


def test_senses_are_data_staff_can_change(tmp_path: Path) -> None:
    source = Path(str(resources.files("knowledge.data.search")))
    for data_file in source.iterdir():
        if data_file.suffix in {".tsv", ".txt"}:
            shutil.copy(data_file, tmp_path / data_file.name)
    (tmp_path / "senses.tsv").write_text("nhập khẩu\t*\txóa đăng ký thường trú\n", "utf-8")
    procedures = [p for p in shipped() if p.code in {RESIDENCE, REMOVE_RESIDENCE}]
    changed = LocalKnowledgeBase(procedures, Lexicon.load(tmp_path))
    assert best(changed, "nhập khẩu cho con") == REMOVE_RESIDENCE
