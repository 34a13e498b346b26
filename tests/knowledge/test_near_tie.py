"""A procedure another one scores level with is a "did you mean", not the answer.

The twelfth tuning round (bench/answers.md, ``python -m bench.cards --card-rule``): cards whose
best rival scored at least 0.95 of theirs were right 0.79 to 0.87 of the time, the others 0.95
and more; such a card becomes the same procedures as guesses, in the same order, so top-1 does
not move. The same procedure listed twice (a provincial copy, the catalogue's entry of a
detailed one) is no rival. The rival is sought among the runners-up the caller reads: eight
in the chat (``dialogs/flows/qa.py``). Sentences written for these tests.
"""

from __future__ import annotations

from bench.answers import shown
from dialogs.flows.qa import READS
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import NEAR_TIE, AnswerKind, Questions, Search, route
from knowledge.results import SearchHit, SearchResult

ID_CARD_14_AND_OVER = "1.001247"  # Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên
ID_CARD_UNDER_14 = {"1.014062", "1.012543", "1.012549"}  # ... dưới 14 tuổi (three levels)
ONE_OFF_PAYMENT = "1.001613"  # Giải quyết hưởng bảo hiểm xã hội một lần
TRANSLATOR_SIGNATURE = "2.000992"  # Chứng thực chữ ký người dịch mà người dịch là cộng tác viên


def _search(runner_name: str, runner_score: float) -> Search:
    best = SearchHit(code="1.000001", name="Cấp giấy phép kinh doanh karaoke", score=1.0)
    runner = SearchHit(code="1.000002", name=runner_name, score=runner_score)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        return SearchResult(query, best, alternatives=(runner,))

    return search


def test_a_rival_scoring_level_makes_the_card_a_guess_in_the_same_order(
    questions: Questions,
) -> None:
    search = _search("Cấp giấy phép kinh doanh dịch vụ vũ trường", NEAR_TIE)
    answer = route(questions, search, "giấy phép karaoke", "vi", 3)
    assert answer.kind is AnswerKind.UNSURE
    assert shown(answer) == ["1.000001", "1.000002"]


def test_a_rival_scoring_a_little_under_leaves_the_card(questions: Questions) -> None:
    search = _search("Cấp giấy phép kinh doanh dịch vụ vũ trường", NEAR_TIE - 0.02)
    assert route(questions, search, "giấy phép karaoke", "vi", 3).kind is AnswerKind.PROCEDURE


def test_the_same_procedure_listed_again_is_no_rival(questions: Questions) -> None:
    for twice in (
        "Cấp giấy phép kinh doanh karaoke (thực hiện tại cấp tỉnh)",
        "Thủ tục giải quyết cấp giấy phép kinh doanh karaoke",
    ):
        answer = route(questions, _search(twice, 1.0), "giấy phép karaoke", "vi", 3)
        assert answer.kind is AnswerKind.PROCEDURE


def test_an_id_card_asked_without_an_age_offers_both_cards(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer("tôi muốn đi làm thẻ căn cước", limit=READS)
    assert answer.kind is AnswerKind.UNSURE
    offered = [h.code for h in answer.result.candidates]
    assert ID_CARD_14_AND_OVER in offered and ID_CARD_UNDER_14 & set(offered)


def test_cases_of_one_certification_scoring_level_are_offered_in_order(
    kb: LocalKnowledgeBase,
) -> None:
    # the translator a commune's collaborator, a diplomat, neither: the question says none
    answer = kb.answer("chứng thực chữ ký người dịch", limit=3)
    assert answer.kind is AnswerKind.UNSURE
    assert shown(answer)[0] == TRANSLATOR_SIGNATURE


def test_a_one_off_payment_beside_its_catalogue_entry_keeps_its_card(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer("nghỉ làm rồi muốn rút bảo hiểm xã hội một lần", limit=READS)
    assert answer.kind is AnswerKind.PROCEDURE
    assert answer.result.match is not None and answer.result.match.code == ONE_OFF_PAYMENT
