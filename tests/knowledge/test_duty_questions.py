"""Questions about who bears a duty or what a paper is worth get the legal reply, not a card.

The ninth tuning round (bench/answers.md): such questions name a procedure whole ("đăng ký tạm
trú", "sang tên xe") yet ask what the law says; the procedure is still offered beside the
disclaimer.
"""

from __future__ import annotations

import pytest

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind


@pytest.mark.parametrize(
    "question",
    [
        "Khi mua xe cũ, người bán hay người mua có trách nhiệm làm thủ tục sang tên xe?",
        "Con nợ bỏ trốn không trả tiền thì xử lý thế nào?",
        "Bản sao giấy khai sinh có giá trị pháp lý như bản chính không?",
        "Is it mandatory to register a newborn's birth within 60 days?",
    ],
)
def test_a_duty_or_a_papers_worth_gets_the_legal_reply(
    kb: LocalKnowledgeBase, question: str
) -> None:
    assert kb.answer(question, limit=3).kind is AnswerKind.LAW


def test_asking_for_the_procedure_itself_still_gets_the_card(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer("Thủ tục sang tên xe máy cũ cần giấy tờ gì?", limit=3)
    assert answer.kind is AnswerKind.PROCEDURE
