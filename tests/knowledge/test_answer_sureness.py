"""When the answer route is sure: a card only where the question gives ground to pick it, and
no small talk heard where the question never spoke of it."""

from __future__ import annotations

import pytest

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind


def card(kb: LocalKnowledgeBase, query: str) -> str | None:
    """The procedure the question gets as its answer, or None when it gets no card."""
    answer = kb.answer(query, limit=3)
    match = answer.result.match
    return match.code if answer.kind is AnswerKind.PROCEDURE and match is not None else None


@pytest.mark.parametrize(
    "query",
    [
        "muốn được trả lại tiền",  # "Trả lại giấy phép nhận chìm", "Trả lại khu vực biển"...
        "xin cấp phép",
        "hủy bỏ",
    ],
)
def test_words_many_unlike_names_share_get_guesses_not_a_card(
    kb: LocalKnowledgeBase, query: str
) -> None:
    answer = kb.answer(query, limit=3)
    assert answer.kind is AnswerKind.UNSURE
    assert len(answer.result.candidates) == 3


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("làm căn cước", "1.014061"),  # level with the same card for under-14s: a sibling
        ("đăng ký khai sinh", "1.001193"),
    ],
)
def test_a_best_level_only_with_its_siblings_is_the_answer(
    kb: LocalKnowledgeBase, query: str, code: str
) -> None:
    assert card(kb, query) == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("lỡ làm mất bằng lái xe máy, giờ xin cấp lại", "3.000348"),
        ("mất cái thẻ căn cước với bằng lái xe máy, giờ làm lại ở đâu", "1.014064"),
    ],
)
def test_small_talk_is_not_heard_across_a_comma(
    kb: LocalKnowledgeBase, query: str, code: str
) -> None:
    """ "xe máy, giờ" says no "mấy giờ" (what time is it): the comma ends the clause."""
    assert card(kb, query) == code


def test_small_talk_within_a_clause_is_still_heard(kb: LocalKnowledgeBase) -> None:
    assert kb.answer("bây giờ là mấy giờ", limit=3).kind is AnswerKind.NONE
