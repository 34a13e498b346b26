"""Who a question is about: an age heard as the band names use (knowledge/data/search/ages.tsv),
a person named by nationality read by what the question does with them (senses.tsv)."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from support.procedures import shipped

from knowledge.base import LocalKnowledgeBase
from knowledge.search import Lexicon
from knowledge.search.ages import ages_told
from knowledge.search.lexicon import LexiconError
from knowledge.search.tokens import tokenize

CARD_UNDER_14 = "1.014062"  # Cấp thẻ căn cước cho người dưới 14 tuổi
CARD_FROM_14 = "1.014061"  # Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên


def best(kb: LocalKnowledgeBase, query: str) -> str | None:
    result = kb.search(query)
    return result.match.code if result.match else None


@pytest.mark.parametrize(
    ("text", "ages"),
    [
        ("con tôi 10 tuổi", [10]),
        ("cháu 9t muốn làm", [9]),
        ("bé 8 tháng tuổi", [0]),
        ("nộp 2 bản, mất 15 ngày", []),
        ("lương 20 triệu", []),
    ],
)
def test_an_age_is_a_number_of_years_or_months_said_as_an_age(text: str, ages: list[int]) -> None:
    assert list(ages_told(tokenize(text))) == ages


@pytest.mark.parametrize(
    "query",
    [
        "Con tôi 10 tuổi, muốn làm căn cước cho cháu thì đăng ký ở đâu",
        "chau 9t muon lam can cuoc thi can mang gi",
        "bé nhà em mới 8 tháng tuổi, làm thẻ căn cước cho bé ở đâu",
    ],
)
def test_a_child_of_any_age_under_14_gets_the_childs_card(
    kb: LocalKnowledgeBase, query: str
) -> None:
    assert best(kb, query) == CARD_UNDER_14


def test_an_age_of_14_or_more_keeps_the_plain_card(kb: LocalKnowledgeBase) -> None:
    assert best(kb, "Con trai tôi năm nay 15 tuổi, lần đầu đi làm căn cước") == CARD_FROM_14


def test_the_bands_are_data_staff_can_change(tmp_path: Path) -> None:
    source = Path(str(resources.files("knowledge.data.search")))
    for data_file in source.iterdir():
        if data_file.suffix in {".tsv", ".txt"}:
            shutil.copy(data_file, tmp_path / data_file.name)
    procedures = [p for p in shipped() if p.code in {CARD_UNDER_14, CARD_FROM_14}]
    (tmp_path / "ages.tsv").write_text("dưới 14 tuổi\t0\t15\n", "utf-8")
    widened = LocalKnowledgeBase(procedures, Lexicon.load(tmp_path))
    assert best(widened, "con tôi 15 tuổi làm căn cước") == CARD_UNDER_14
    (tmp_path / "ages.tsv").write_text("dưới 14 tuổi\tmười\t13\n", "utf-8")
    with pytest.raises(LexiconError, match=r"ages\.tsv"):
        Lexicon.load(tmp_path)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a spouse, parent or partner: the civil status matter with a foreign element
        ("Bạn trai em là người Úc, tụi em muốn đăng ký kết hôn thì làm ở đâu", "2.000806"),
        ("Vợ tôi là người Thái Lan, vừa sinh con, làm giấy khai sinh cho cháu ở đâu", "2.000528"),
        ("Chồng tôi người Hàn Quốc mất tại Việt Nam, làm khai tử ở đâu", "1.001766"),
        ("Bố đẻ của tôi quốc tịch Pháp, ông muốn làm giấy tờ nhận tôi là con", "2.000779"),
        # someone hired: the foreign worker's work permit
        ("công ty muốn thuê kỹ sư người Nhật sang làm việc, xin giấy phép lao động", "1.014199"),
        # the permit itself, not the certificate that someone needs none (qualifiers.tsv)
        ("nhà hàng muốn nhận đầu bếp người Thái vào làm, xin giấy phép lao động", "1.014199"),
        # a foreigner's own stay: the foreigner's procedure
        ("khách người Nhật thuê phòng homestay, tôi khai báo tạm trú cho họ thế nào", "1.000253"),
    ],
)
def test_a_nationality_is_read_by_what_the_question_does_with_the_person(
    kb: LocalKnowledgeBase, query: str, expected: str
) -> None:
    assert best(kb, query) == expected


def test_a_row_of_senses_may_read_several_phrases_the_same_way(tmp_path: Path) -> None:
    source = Path(str(resources.files("knowledge.data.search")))
    for data_file in source.iterdir():
        if data_file.suffix in {".tsv", ".txt"}:
            shutil.copy(data_file, tmp_path / data_file.name)
    (tmp_path / "senses.tsv").write_text("người úc|người pháp\t*\tyếu tố nước ngoài\n", "utf-8")
    procedures = [p for p in shipped() if p.code in {"1.000894", "2.000806"}]
    changed = LocalKnowledgeBase(procedures, Lexicon.load(tmp_path))
    assert best(changed, "đăng ký kết hôn với người pháp") == "2.000806"
    assert best(changed, "đăng ký kết hôn với người úc") == "2.000806"
