"""A birth or a marriage registered abroad is recorded here; an absence abroad is declared.

The twelfth tuning round (bench/answers.md): "Đã đăng ký khai sinh ở nước ngoài thì về Việt Nam
có cần đăng ký lại khai sinh không?" got the re-registration of a birth with a foreign element,
whose name it says, and not the recording in the Vietnamese register of a birth registered
abroad (``situations.tsv``), offered first (as the answer, or as the first "did you mean" where
the other recording scores level with it, ``NEAR_TIE``); "declare temporary absence" in English
found nothing (``english.tsv``). A birth abroad not yet registered and a marriage to a foreigner
keep their registrations. All sentences written for these tests.
"""

from __future__ import annotations

import pytest

from bench.answers import shown
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind

ABSENCE = "1.003677"  # Khai báo tạm vắng
BIRTH_ABROAD_RECORDED = "2.000712"  # Ghi vào sổ hộ tịch việc khai sinh đã đăng ký ở nước ngoài
BIRTH_FOREIGN = "2.000528"  # Đăng ký khai sinh có yếu tố nước ngoài
MARRIAGE_ABROAD_RECORDED = "2.002189"  # Ghi vào sổ hộ tịch việc kết hôn đã giải quyết ở nước ngoài
MARRIAGE_FOREIGN = {"2.000806", "1.000094"}  # Đăng ký kết hôn có yếu tố nước ngoài (two levels)


def _card(kb: LocalKnowledgeBase, question: str, locale: str = "vi") -> str | None:
    answer = kb.answer(question, locale=locale, limit=3)
    match = answer.result.match
    return match.code if answer.kind is AnswerKind.PROCEDURE and match is not None else None


@pytest.mark.parametrize(
    ("question", "recorded"),
    [
        (
            "Cháu nhà tôi sinh ra và đã đăng ký khai sinh ở nước ngoài rồi, nay cả nhà về Việt "
            "Nam sống thì phải làm thủ tục gì cho cháu?",
            BIRTH_ABROAD_RECORDED,
        ),
        (
            "Chúng tôi đã đăng ký kết hôn tại nước ngoài, giờ về Việt Nam có phải đăng ký kết "
            "hôn lại không?",
            MARRIAGE_ABROAD_RECORDED,
        ),
    ],
)
def test_a_birth_or_marriage_registered_abroad_is_recorded_not_registered_again(
    kb: LocalKnowledgeBase, question: str, recorded: str
) -> None:
    assert shown(kb.answer(question, limit=3))[:1] == [recorded]


def test_a_birth_abroad_not_yet_registered_and_a_foreign_spouse_keep_their_registrations(
    kb: LocalKnowledgeBase,
) -> None:
    born = (
        "Vợ chồng tôi sinh con ở nước ngoài, chưa làm giấy tờ gì cho cháu, về nước thì đăng ký "
        "khai sinh thế nào?"
    )
    assert _card(kb, born) == BIRTH_FOREIGN
    marrying = "Tôi muốn đăng ký kết hôn với người nước ngoài thì cần giấy tờ gì?"
    assert _card(kb, marrying) in MARRIAGE_FOREIGN


def test_temporary_absence_in_english_is_the_declaration(kb: LocalKnowledgeBase) -> None:
    question = "Do I need to declare temporary absence if I work in another province for a year?"
    assert _card(kb, question, locale="en") == ABSENCE
