"""Allowances reached by what a citizen says they need, not by the words of their names."""

from __future__ import annotations

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import Answer

SOCIAL_ALLOWANCE = "1.001776"  # monthly social allowance, with care support
MERIT_DEATH = "1.010824"  # the allowance paid when a person with merit dies
INSURED_DEATH = "2.000821"  # the survivors' benefit of an insured worker
DISABILITY_CERTIFICATE = "1.001699"


def _first(answer: Answer) -> str:
    """The first procedure the reply names: its card, or its first "did you mean"."""
    result = answer.result
    return result.match.code if result.match is not None else result.candidates[0].code


def test_a_disability_told_beside_money_reaches_the_social_allowance(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(
        "Bố tôi 58 tuổi, bị tai biến nên liệt nửa người, mọi sinh hoạt đều phải có người giúp. "
        "Tôi nghe nói người tàn tật được nhà nước trợ cấp hàng tháng, vậy gia đình tôi làm hồ "
        "sơ thế nào?",
        limit=3,
    )
    assert _first(answer) == SOCIAL_ALLOWANCE


def test_the_burial_allowance_of_a_person_with_merit_is_not_the_insured_workers(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer("thủ tục nhận tiền mai táng cho ông tôi là thương binh", limit=3)
    assert _first(answer) == MERIT_DEATH


def test_the_named_certificate_and_the_insured_workers_burial_keep_their_procedures(
    kb: LocalKnowledgeBase,
) -> None:
    certificate = kb.answer("làm giấy xác nhận khuyết tật cho con ở đâu", limit=3)
    assert _first(certificate) == DISABILITY_CERTIFICATE
    insured = kb.answer("bố tôi đang đóng bảo hiểm xã hội thì mất, nhận tiền mai táng", limit=3)
    assert _first(insured) == INSURED_DEATH
