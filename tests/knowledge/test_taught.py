"""Phrasings staff taught are heard however the next citizen types them, and only those."""

from __future__ import annotations

import pytest
from support.procedures import MARRIAGE, PROCEDURES

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind
from knowledge.taught import Lesson, TaughtPhrases


def test_a_lesson_is_found_without_diacritics_in_another_order_and_with_a_typo() -> None:
    taught = TaughtPhrases([Lesson("giấy tờ cho chó mèo tiêm phòng", code="X")])
    for asked in (
        "Giấy tờ cho chó, mèo tiêm phòng?",
        "giay to cho cho meo tiem phong",
        "tiem phong cho meo giay to cho",
        "giay to cho cho meo tiem phonh",
    ):
        assert taught.find(asked) == Lesson("giấy tờ cho chó mèo tiêm phòng", code="X"), asked
    assert taught.find("giấy tờ xây nhà") is None


def test_a_lesson_names_a_procedure_or_gives_a_reply() -> None:
    with pytest.raises(ValueError):
        Lesson("x", code="1", reply="y")
    with pytest.raises(ValueError):
        Lesson("x")


def test_the_knowledge_base_answers_with_what_staff_taught() -> None:
    kb = LocalKnowledgeBase(PROCEDURES)
    assert kb.search("giay to cho cho meo").match is None
    kb.teach(
        [
            Lesson("giấy tờ cho chó mèo", code=MARRIAGE.code),
            Lesson("xin visa đi Mỹ", reply="Đại sứ quán cấp thị thực."),
            Lesson("thủ tục đã bỏ", code="no.such.code"),
        ]
    )
    found = kb.answer("giay to cho cho meo")
    assert found.kind is AnswerKind.PROCEDURE and found.result.match is not None
    assert found.result.match.code == MARRIAGE.code
    assert kb.matched_terms("giay to cho cho meo", MARRIAGE.code) == ("taught",)
    declined = kb.answer("Xin Visa di my")
    assert declined.kind is AnswerKind.DECLINED and declined.reply == "Đại sứ quán cấp thị thực."
    assert kb.search("thu tuc da bo").match is None  # a lesson for a vanished procedure is dropped
    kb.teach([])
    assert kb.search("giay to cho cho meo").match is None


def test_a_new_import_that_removes_a_taught_procedure_falls_back_to_the_search() -> None:
    kb = LocalKnowledgeBase(PROCEDURES)
    kb.teach([Lesson("giấy tờ cho chó mèo", code=MARRIAGE.code)])
    assert kb.search("giay to cho cho meo").match is not None
    kb.replace([p for p in PROCEDURES if p.code != MARRIAGE.code])
    assert kb.get(MARRIAGE.code) is None
    assert kb.search("giay to cho cho meo").match is None  # not an error, not the old procedure
