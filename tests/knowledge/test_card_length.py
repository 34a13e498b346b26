"""A long question gets its procedure as the answer only when it says enough of the name.

The ninth tuning round (bench/answers.md, ``python -m bench.cards``): sentences of 15 words or
more saying less than half their card's name were right 0.84 of the time, those of 8 to 15
saying under a fifth 0.62; such cards become "did you mean" guesses in the same order.
"""

from __future__ import annotations

from knowledge.questions import CARD_SAYS, AnswerKind, Questions, Search, route
from knowledge.results import SearchHit, SearchResult
from knowledge.search.tokens import tokenize

LONG = "Con tôi năm nay đi học xa nhà ở thành phố, gia đình cần làm giấy tờ gì cho cháu vậy"
MIDDLE = "Con tôi đi học xa nhà thì gia đình cần làm gì"
SHORT = "làm giấy cho con đi học"


def _search(said: float) -> Search:
    best = SearchHit(code="1.000001", name="best", score=0.9, said=said)
    other = SearchHit(code="1.000002", name="other", score=0.6, said=0.2)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        return SearchResult(query, best, alternatives=(other,))

    return search


def _shown(result: SearchResult) -> list[str]:
    if result.match is not None:
        return [result.match.code, *(h.code for h in result.alternatives)]
    return [h.code for h in result.candidates]


def test_the_lengths_are_those_the_rule_names(questions: Questions) -> None:
    words = [len(tokenize(q)) for q in (LONG, MIDDLE, SHORT)]
    assert words[0] >= CARD_SAYS[0][0] > words[1] >= CARD_SAYS[1][0] > words[2]
    assert questions.asking.part(LONG) is None  # a question, not a letter


def test_a_long_question_saying_little_of_its_name_gets_guesses_in_the_same_order(
    questions: Questions,
) -> None:
    answer = route(questions, _search(0.4), LONG, "vi", 3)
    assert answer.kind is AnswerKind.UNSURE
    assert _shown(answer.result) == ["1.000001", "1.000002"]


def test_a_long_question_saying_half_its_name_keeps_the_card(questions: Questions) -> None:
    answer = route(questions, _search(0.5), LONG, "vi", 3)
    assert answer.kind is AnswerKind.PROCEDURE


def test_a_middling_question_needs_a_fifth_of_the_name(questions: Questions) -> None:
    assert route(questions, _search(0.15), MIDDLE, "vi", 3).kind is AnswerKind.UNSURE
    assert route(questions, _search(0.25), MIDDLE, "vi", 3).kind is AnswerKind.PROCEDURE


def test_a_short_question_keeps_its_card_whatever_it_says(questions: Questions) -> None:
    assert route(questions, _search(0.1), SHORT, "vi", 3).kind is AnswerKind.PROCEDURE
