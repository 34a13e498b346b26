"""An answer reads its question's words, and each procedure name's, once.

The answer route looks at a question's search keys for several checks (whether it is a letter,
the portal help's cues, the law's cues, the card's length rule) and compares the card's name with
each runner-up's for a near tie; tokenising the same text again for each was a share of every
message's CPU (``bench/throughput.md``).
"""

from __future__ import annotations

from collections import Counter

import pytest

from knowledge import asking, cues, questions
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind
from knowledge.search import tokens


def test_a_question_asked_twice_has_its_words_and_its_names_words_read_once(
    kb: LocalKnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: Counter[str] = Counter()
    plain = tokens.tokenize

    def counted(text: str) -> list[str]:
        read[text] += 1
        return plain(text)

    for module in (tokens, cues, asking, questions):
        monkeypatch.setattr(module, "tokenize", counted)
    tokens.question_keys.cache_clear()
    questions.name_words.cache_clear()
    query = "đăng ký khai sinh cho con"

    first = kb.answer(query)
    again = kb.answer(query)

    assert first == again
    assert first.kind is AnswerKind.PROCEDURE
    names = [h.name for h in (first.result.match, *first.result.alternatives) if h is not None]
    assert len(names) > 1
    assert read[query] == 1
    assert all(read[name] == 1 for name in names), read
