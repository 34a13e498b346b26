"""What is a procedure question and which procedure it means: diacritics, situations, fields."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest
from support.procedures import shipped

from knowledge.base import LocalKnowledgeBase
from knowledge.model import Procedure
from knowledge.search import Lexicon
from knowledge.search.lexicon import LexiconError

BIRTH = {"1.001193", "2.000986", "2.001023"}
MATERNITY = "2.000693"
SURVIVORS = "2.000821"  # chế độ tử tuất: the funeral allowance
INSURANCE_RECORD = "1.002759"  # cấp lại, đổi, điều chỉnh thông tin sổ BHXH, thẻ BHYT


@pytest.fixture(scope="module")
def procedures() -> tuple[Procedure, ...]:
    return shipped()


@pytest.fixture
def vocabulary(tmp_path: Path) -> Path:
    """A copy of the shipped vocabulary files, to extend in a test."""
    source = Path(str(resources.files("knowledge.data.search")))
    for data_file in source.iterdir():
        if data_file.suffix in {".tsv", ".txt"}:
            shutil.copy(data_file, tmp_path / data_file.name)
    return tmp_path


def top(kb: LocalKnowledgeBase, query: str) -> str | None:
    result = kb.search(query)
    return result.match.code if result.match else None


@pytest.mark.parametrize(
    "query",
    [
        # weather, prices, sport, food, health, feelings
        "mai có bão không",
        "giá heo hơi hôm nay",
        "lịch thi đấu ngoại hạng anh",
        "cách làm nem rán giòn",
        "đau bụng đi ngoài uống gì",
        "vợ giận không nói chuyện",
        # phones, shopping, traffic, pets and garden
        "điện thoại samsung bị đơ",
        "shopee có mã giảm giá không",
        "đường về quê có tắc không",
        "con mèo nhà tôi bị ốm",
        "cây xanh bị vàng lá",
        # the assistant itself, rudeness, keyboard mashing, emoji, English chit-chat
        "bạn tên là gì",
        "ngu thế",
        "jfkdlsa",
        "🤣",
        "nice to meet you",
    ],
)
def test_everyday_talk_gets_no_procedure(kb: LocalKnowledgeBase, query: str) -> None:
    assert kb.search(query).match is None


def test_a_word_typed_with_other_diacritics_is_another_word(kb: LocalKnowledgeBase) -> None:
    # "bão" (storm) is not "bảo"; "lái" (drive) is not the "lại" of a reissue.
    assert top(kb, "mai có bão không") is None
    assert top(kb, "làm giấy phép lái xe máy lần đầu") == "3.000346"
    # Diacritics left out still match: "kêt hôn" is "kết hôn".
    assert top(kb, "đăng ky kêt hôn") == "1.000894"


def test_small_talk_is_heard_only_when_its_diacritics_agree(
    vocabulary: Path, procedures: tuple[Procedure, ...]
) -> None:
    with (vocabulary / "small-talk.txt").open("a", encoding="utf-8") as f:
        f.write("da mặt\n")
    kb = LocalKnowledgeBase(procedures, Lexicon.load(vocabulary))
    # "đã mất" (has died) is not "da mặt" (face skin); typed without marks it could be.
    assert top(kb, "thừa kế đất của cha mẹ đã mất") == "1.013831"
    assert top(kb, "cách làm đẹp da mặt") is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("vợ sinh con được nhận tiền bảo hiểm không", MATERNITY),
        ("vợ em mới đẻ, muốn lấy tiền chế độ sinh con", MATERNITY),
        # The catalogue's maternity benefit (Ministry of Home Affairs) says it word for word.
        ("lao động nữ sinh con được hưởng chế độ gì", "1.014166"),
        ("bố mất nhận trợ cấp mai táng bảo hiểm xã hội", SURVIVORS),
        ("sổ bảo hiểm xã hội ghi sai ngày sinh muốn sửa", INSURANCE_RECORD),
        ("nghỉ ốm được hưởng bảo hiểm xã hội không", "1.001667"),
    ],
)
def test_a_situation_told_in_everyday_words_finds_its_procedure(
    kb: LocalKnowledgeBase, query: str, expected: str
) -> None:
    assert top(kb, query) == expected


def test_a_birth_without_money_is_still_the_birth_registration(kb: LocalKnowledgeBase) -> None:
    assert top(kb, "sinh em bé xong cần đăng ký gì cho bé") in BIRTH
    assert top(kb, "đăng ký khai sinh và thẻ bảo hiểm y tế cho bé mới sinh") in BIRTH


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # The field ("Hoạt động xây dựng", "Thành lập và hoạt động của doanh nghiệp") names
        # the domain: a railway crossing permit or an insurer's dissolution is a special case.
        ("gia hạn giấy phép xây dựng", "1.013227"),
        ("xin giấy phép xây dựng", "1.013225"),
        ("giải thể doanh nghiệp", "2.002023"),
        ("giai the cong ty", "2.002023"),
    ],
)
def test_the_field_that_names_the_domain_ranks_first(
    kb: LocalKnowledgeBase, query: str, expected: str
) -> None:
    assert top(kb, query) == expected


def test_staff_add_a_situation_without_code(
    kb: LocalKnowledgeBase, vocabulary: Path, procedures: tuple[Procedure, ...]
) -> None:
    query = "con trai tôi 18 tuổi bị gọi lên xã khám tuyển"
    assert kb.search(query).match is None
    with (vocabulary / "situations.tsv").open("a", encoding="utf-8") as f:
        f.write("khám tuyển|gọi nhập ngũ + xã|phường\tđăng ký nghĩa vụ quân sự lần đầu\n")
    extended = LocalKnowledgeBase(procedures, Lexicon.load(vocabulary))
    assert top(extended, query) == "1.013133"


def test_a_situation_line_without_terms_is_refused(vocabulary: Path) -> None:
    with (vocabulary / "situations.tsv").open("a", encoding="utf-8") as f:
        f.write("sinh con + tiền\n")
    with pytest.raises(LexiconError, match=r"situations\.tsv"):
        Lexicon.load(vocabulary)


def test_a_query_asked_again_is_answered_from_the_kept_result_until_an_import(
    procedures: tuple[Procedure, ...],
) -> None:
    kb = LocalKnowledgeBase.load()  # a copy of the shipped one: what it replaces stays its own
    first = kb.search("đăng ký kết hôn")
    assert first.match is not None
    assert kb.search("đăng ký kết hôn") is first
    assert kb.search("đăng ký kết hôn", limit=3) is not first  # another question to the index
    kb.replace(p for p in procedures if p.code != first.match.code)
    again = kb.search("đăng ký kết hôn")
    assert again.match is not None and again.match.code != first.match.code
