"""A field named in everyday words finds its procedures, most of them known only from the catalogue.

The thirteenth tuning round (bench/answers.md): questions about people with merit, social
allowances, unemployment and health insurance got detailed procedures of other fields sharing
their everyday words (the army's and the police's own merit procedures, a pensioner's move, a
land certificate), or nothing in English. A field's everyday words (``fields.tsv``: "mồ côi" for
"Bảo trợ xã hội") now rank its procedures higher and spare its catalogue entries the penalty
that lets a detailed procedure come first; a name listing several operations ("Cấp lại, đổi,
điều chỉnh thông tin trên sổ BHXH, thẻ BHYT") is no special case for the one asked; the
army's and the police's own cases rank after the civilian ones unless the question speaks of
them; "cho tôi hỏi" no longer hides the "xã hội" of a name; a company's new equipment is no
VNeID login. All sentences written for these tests.
"""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from bench.answers import shown
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind
from knowledge.search.lexicon import Lexicon, LexiconError

SOCIAL_ALLOWANCE = "1.001776"  # Thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hàng tháng...
UNEMPLOYMENT_ENDED = "1.014752"  # Chấm dứt hưởng trợ cấp thất nghiệp (catalogue)
INSURANCE_CARD_CHANGE = "1.002759"  # Cấp lại, đổi, điều chỉnh thông tin trên sổ BHXH, thẻ BHYT
MERIT_CERTIFICATE = "1.010814"  # Cấp bổ sung hoặc cấp lại giấy chứng nhận người có công (catalogue)
ARMY_INVALID_CERTIFICATE = "1.013186"  # ... giấy chứng nhận thương binh đối với ... đang tại ngũ
RESIDENCE_CARD = {"1.003460", "1.003358"}  # Cấp thẻ tạm trú cho người nước ngoài (two levels)
WORK_PERMIT = {"1.014199", "1.014200", "1.014201"}  # Cấp, cấp lại, gia hạn giấy phép lao động
DIPLOMA_CORRECTION = "3.000466"  # Chỉnh sửa nội dung văn bằng, chứng chỉ (catalogue)


def _first(kb: LocalKnowledgeBase, question: str, locale: str = "vi") -> str | None:
    """The procedure a reply names first (as its card or its first "did you mean")."""
    return next(iter(shown(kb.answer(question, locale=locale, limit=3))), None)


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("trẻ mồ côi cả cha lẫn mẹ thì được hưởng trợ cấp gì, thủ tục ra sao", SOCIAL_ALLOWANCE),
        ("cho tôi hỏi trợ cấp xã hội hàng tháng làm ở đâu", SOCIAL_ALLOWANCE),
        (
            "đang hưởng trợ cấp thất nghiệp mà tìm được việc làm thì phải làm thủ tục gì",
            UNEMPLOYMENT_ENDED,
        ),
        (
            "ông tôi là thương binh, giấy chứng nhận thương binh bị rách, xin cấp lại thế nào",
            MERIT_CERTIFICATE,
        ),
        ("bằng tốt nghiệp đại học ghi sai ngày sinh thì sửa thế nào", DIPLOMA_CORRECTION),
    ],
)
def test_a_field_named_in_everyday_words_finds_its_catalogue_entry_first(
    kb: LocalKnowledgeBase, question: str, first: str
) -> None:
    assert _first(kb, question) == first


def test_the_armys_own_case_comes_first_when_the_soldier_still_serves(
    kb: LocalKnowledgeBase,
) -> None:
    question = "thủ tục cấp lại giấy chứng nhận thương binh cho quân nhân đang tại ngũ"
    assert _first(kb, question) == ARMY_INVALID_CERTIFICATE


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("how can I change my initial medical examination and treatment facility", None),
        ("where to apply for a temporary resident card", RESIDENCE_CARD),
        ("How can a work permit be extended?", WORK_PERMIT),
    ],
)
def test_foreigners_procedures_asked_in_english(
    kb: LocalKnowledgeBase, question: str, first: set[str] | None
) -> None:
    assert _first(kb, question, "en") in (first or {INSURANCE_CARD_CHANGE})


def test_the_plain_cases_keep_their_procedures(kb: LocalKnowledgeBase) -> None:
    """Words shared with the new vocabulary take nothing from the procedures they named."""
    assert _first(kb, "xóa thường trú khi chuyển đi nơi khác") == "1.003197"
    assert _first(kb, "thẻ tạm trú cho người nước ngoài") == "1.003460"


def test_new_equipment_is_no_vneid_login(kb: LocalKnowledgeBase) -> None:
    equipment = kb.answer("Công ty tôi mua thiết bị mới về, có cần đăng ký kiểm định không?")
    login = kb.answer("đăng nhập VNeID trên thiết bị mới thế nào")
    assert equipment.kind is not AnswerKind.HELP
    assert login.kind is AnswerKind.HELP and login.help is not None
    assert login.help.id == "vneid-new-device"


def test_a_field_without_words_is_refused(tmp_path: Path) -> None:
    source = Path(str(resources.files("knowledge.data.search")))
    folder = tmp_path / "search"
    shutil.copytree(source, folder)
    assert Lexicon.load(folder).fields[("nguoi", "co", "cong")]
    with (folder / "fields.tsv").open("a", encoding="utf-8") as f:
        f.write("Bảo hiểm y tế\t\n")
    with pytest.raises(LexiconError, match=r"fields\.tsv"):
        Lexicon.load(folder)
