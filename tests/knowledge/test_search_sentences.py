"""Whole-sentence situations: filler words, everyday wording and long stories told on a phone."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from support.procedures import shipped

from knowledge.base import LocalKnowledgeBase
from knowledge.model import Procedure
from knowledge.search import Lexicon

DEATH = "1.000656"  # đăng ký khai tử
ID_CARD_FIRST = {"1.014061", "2.000200", "1.001247"}  # thẻ căn cước, from 14 years old
ID_CARD_CHILD = {"1.014062", "1.012549", "1.012543"}  # thẻ căn cước, under 14
LAND_CORRECTION = {"1.012790", "1.012796"}  # đính chính giấy chứng nhận
TAX_NUMBER = "1.008498"  # đăng ký thuế lần đầu của cá nhân
LONG_AGO = "bà nội mất lâu rồi mà chưa báo tử, giờ phải làm sao ạ"


@pytest.fixture(scope="module")
def procedures() -> tuple[Procedure, ...]:
    return shipped()


def top(kb: LocalKnowledgeBase, query: str) -> str | None:
    result = kb.search(query)
    return result.match.code if result.match else None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (LONG_AGO, {DEATH}),
        ("ba noi mat lau roi ma chua bao tu, gio phai lam sao a", {DEATH}),
        ("mẹ tôi qua đời được ba tháng rồi mà gia đình chưa đi khai báo với xã", {DEATH}),
        # "chưa bao giờ" (never) is not the small talk of "bao giờ thì tết"
        (
            "bà tôi tám mươi tuổi chưa bao giờ làm chứng minh, giờ làm căn cước có được không ạ",
            ID_CARD_FIRST,
        ),
        # a child's school year says the card below 14
        (
            "cháu tôi mới học lớp hai, nhà trường bảo làm căn cước cho cháu thì làm ở đâu",
            ID_CARD_CHILD,
        ),
        # a long story that says a good part of the name names the procedure
        (
            "cho hỏi trên giấy chứng nhận đất ghi nhầm tên bố tôi thì đi đâu đính chính ạ",
            LAND_CORRECTION,
        ),
        (
            "tòa xử rồi mà bên kia vẫn không chịu trả tiền cho tôi, giờ tôi phải làm thế nào",
            {"1.003091"},
        ),
    ],
)
def test_a_situation_told_in_a_whole_sentence_finds_its_procedure(
    kb: LocalKnowledgeBase, query: str, expected: set[str]
) -> None:
    assert top(kb, query) in expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # "một lần", "bảo hiểm", "thi hành", "đăng" are not the filler "một", "bảo", "thì", "đang"
        ("tôi nghỉ việc được hơn một năm rồi, muốn rút tiền bảo hiểm xã hội một lần", "1.001613"),
        ("xin trích lục bản án ly hôn để thi hành án", "1.003091"),
        ("đang ký kết hôn", "1.000894"),
    ],
)
def test_a_filler_word_in_a_phrase_of_a_name_is_kept(
    kb: LocalKnowledgeBase, query: str, expected: str
) -> None:
    assert top(kb, query) == expected


def test_unmarked_small_talk_running_into_a_name_is_the_name(kb: LocalKnowledgeBase) -> None:
    # "mua bao hiem" is not "mưa bão": "bao hiem" goes on in many names.
    query = "ca nha toi lam nong, muon mua bao hiem y te theo ho gia dinh thi dang ky o dau"
    assert top(kb, query) == "1.001939"
    assert top(kb, "mai co mua bao khong") is None
    assert top(kb, "nhiet do sai gon bay gio") is None


@pytest.mark.parametrize(
    "query",
    [
        "thì mà chưa lâu rồi cũng vậy thôi",
        "bao giờ thì tết",
        "bà nội mất lâu rồi mà tôi vẫn nhớ bà lắm, đêm nào cũng mơ thấy bà",
        "ông nhà tôi dạo này hay quên, ăn xong lại bảo chưa ăn, con cháu lo lắm",
        "chiều nay trời có mưa to không mà tôi định phơi lúa ngoài sân",
        "cái xe máy nhà tôi đi được mấy hôm lại chết máy, sửa ở đâu cho tốt ạ",
    ],
)
def test_a_long_everyday_story_gets_no_procedure(kb: LocalKnowledgeBase, query: str) -> None:
    assert top(kb, query) is None


def test_staff_list_filler_words_without_code(
    tmp_path: Path, procedures: tuple[Procedure, ...]
) -> None:
    query = "con tôi mới đi làm, công ty bảo phải có mã số thuế cá nhân thì đăng ký ở đâu"
    detailed = tuple(p for p in procedures if not p.catalogue_only)
    source = Path(str(resources.files("knowledge.data.search")))
    for data_file in source.iterdir():
        if data_file.suffix in {".tsv", ".txt"}:
            shutil.copy(data_file, tmp_path / data_file.name)
    (tmp_path / "filler.txt").write_text("# no filler words\n", encoding="utf-8")
    without = LocalKnowledgeBase(detailed, Lexicon.load(tmp_path)).search(query)
    assert without.match is None
    (tmp_path / "filler.txt").write_text("bảo\ncó\nthì\n", encoding="utf-8")
    # With its filler dropped the story weighs only what it asks: the tax number fits better.
    found = LocalKnowledgeBase(detailed, Lexicon.load(tmp_path)).search(query)
    best = found.match or found.candidates[0]
    assert best.code == TAX_NUMBER
    assert best.score > max((h.score for h in without.candidates), default=0.0)
