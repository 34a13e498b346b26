"""A card only for a procedure the question names (the seventh tuning round, bench/answers.md).

A letter sharing a name's everyday words gets that name as a "did you mean", not as the answer;
a plain name the question says whole beats a near-level name it says only in part; a story's
clause does not replace the asking part's better guess; spelling doublets, lists of operations
and a few phrases of the rules are read as they are meant.
"""

from __future__ import annotations

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import NAMES_IT, AnswerKind, Questions, route
from knowledge.results import SearchHit, SearchResult
from knowledge.search.index import _offers_plain_operation
from knowledge.search.tokens import fits_marks

TEMPORARY_RESIDENCE = "1.004194"
MONTHLY_SOCIAL_ALLOWANCE = "1.001776"
SOCIAL_PENSION = "1.014027"
ID_CARD = "1.014061"
ID_CARD_REISSUE = "1.014064"


def _shown(result: SearchResult) -> list[str]:
    if result.match is not None:
        return [result.match.code, *(h.code for h in result.alternatives)]
    return [h.code for h in result.candidates]


def _hit(code: str, said: float, score: float = 0.5) -> SearchHit:
    return SearchHit(code=code, name=code, score=score, said=said)


def test_a_letter_sharing_a_names_everyday_words_gets_it_as_a_guess(
    kb: LocalKnowledgeBase,
) -> None:
    # "hưởng lương hưu hàng tháng" is most of a commune officials' pension name, whose
    # "đối với cán bộ xã" the letter does not say: not the answer to give
    letter = (
        "Năm nay tôi 60 tuổi, làm việc ở một công ty tư nhân và đã đóng bảo hiểm xã hội được "
        "25 năm. Nay tôi muốn nghỉ hưu và hưởng lương hưu hàng tháng."
    )
    answer = kb.answer(letter, limit=3)
    assert answer.kind is AnswerKind.UNSURE
    assert answer.result.candidates


def test_a_letter_saying_little_of_its_best_name_is_given_guesses_in_the_same_order(
    questions: Questions,
) -> None:
    letter = (
        "Năm ngoái tôi chuyển về quê sống cùng bố mẹ, vì bận việc nhà nên tôi chưa đi đâu cả. "
        "Xin hỏi thủ tục đăng ký thế nào?"
    )
    best = _hit("1.000001", said=NAMES_IT - 0.1, score=0.9)
    other = _hit("1.000002", said=0.2, score=0.6)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        return SearchResult(query, best, alternatives=(other,))

    answer = route(questions, search, letter, "vi", 3)
    assert answer.kind is AnswerKind.UNSURE
    assert _shown(answer.result) == ["1.000001", "1.000002"]


def test_a_letter_saying_most_of_its_best_name_keeps_the_card(questions: Questions) -> None:
    letter = (
        "Năm ngoái tôi chuyển về quê sống cùng bố mẹ, vì bận việc nhà nên tôi chưa đi đâu cả. "
        "Xin hỏi thủ tục đăng ký thế nào?"
    )
    best = _hit("1.000001", said=NAMES_IT, score=0.9)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        return SearchResult(query, best)

    assert route(questions, search, letter, "vi", 3).kind is AnswerKind.PROCEDURE


def test_a_plain_name_said_whole_beats_a_near_level_name_said_in_part(
    kb: LocalKnowledgeBase,
) -> None:
    # "khai báo" and the story lift "Khai báo thông tin về cư trú đối với người chưa đủ điều
    # kiện đăng ký thường trú, tạm trú" just above the temporary residence the question means
    question = (
        "Em trai tôi từ quê ra Đà Nẵng đi làm, thuê phòng trọ gần khu công nghiệp thì có phải "
        "khai báo gì với công an phường không?"
    )
    assert _shown(kb.answer(question, limit=3).result)[0] == TEMPORARY_RESIDENCE


def test_a_cue_alone_does_not_let_a_reissue_pass_the_plain_issue(kb: LocalKnowledgeBase) -> None:
    index = kb._contents.index
    analysis = index._analyse("làm căn cước lần đầu có mất phí không", "vi")
    codes = [p.code for p in index.procedures]
    cued = index._penalty(analysis)
    said = index._penalty(analysis, cued=False)
    reissue = codes.index(ID_CARD_REISSUE)
    assert cued[reissue] == 0  # "mất" is a cue of "cấp lại" ("mất căn cước")
    assert said[reissue] > 0  # but not the marker said
    letter = (
        "Tháng trước cháu tôi tròn 14 tuổi, nhà trường yêu cầu có căn cước để làm hồ sơ thi. "
        "Xin hỏi cháu làm căn cước lần đầu thì có mất phí không?"
    )
    assert _shown(kb.answer(letter, limit=3).result)[0] == ID_CARD


LOST_LICENCE_LETTER = (
    "Tôi đánh rơi ví ở chợ. Sau nhiều lần tìm kiếm tôi vẫn không tìm lại được giấy tờ trên. "
    "Giờ tôi muốn xin cấp lại giấy phép lái xe có khó khăn gì không?"
)
"""A story clause that names a look-alike, then an asking part that says its name whole."""


def test_a_story_clause_does_not_replace_a_better_guess_of_the_asking_part(
    questions: Questions,
) -> None:
    asked = questions.asking.part(LOST_LICENCE_LETTER)
    assert asked is not None
    whole_name = _hit("3.000348", said=1.0)
    story = _hit("1.014749", said=0.4)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        if query == asked:
            return SearchResult(query, None, candidates=(whole_name,))
        if query == LOST_LICENCE_LETTER:
            return SearchResult(query, None)
        return SearchResult(query, story)  # every clause names the look-alike

    answer = route(questions, search, LOST_LICENCE_LETTER, "vi", 3)
    assert answer.kind is AnswerKind.UNSURE
    assert _shown(answer.result)[0] == "3.000348"


def test_a_clause_saying_more_than_the_letters_guesses_still_guesses(
    questions: Questions,
) -> None:
    asked = questions.asking.part(LOST_LICENCE_LETTER)
    weak = _hit("1.000009", said=0.1)
    clause = _hit("3.000348", said=0.9)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        if query in (asked, LOST_LICENCE_LETTER):
            return SearchResult(query, None, candidates=(weak,))
        return SearchResult(query, clause)

    assert _shown(route(questions, search, LOST_LICENCE_LETTER, "vi", 3).result)[0] == "3.000348"


def test_hang_and_hang_with_a_breve_are_one_word() -> None:
    assert fits_marks("hằng", "hàng")
    assert fits_marks("hàng", "hằng")
    assert not fits_marks("giày", "giấy")


def test_a_monthly_allowance_asked_with_the_other_spelling_is_offered(
    kb: LocalKnowledgeBase,
) -> None:
    question = (
        "Con gái tôi bị khuyết tật nặng, xin hỏi cháu có được hưởng trợ cấp xã hội hằng tháng "
        "không?"
    )
    assert MONTHLY_SOCIAL_ALLOWANCE in _shown(kb.answer(question, limit=3).result)


def test_a_name_listing_operations_from_the_plain_one_offers_it() -> None:
    assert _offers_plain_operation("Thực hiện, điều chỉnh, thôi hưởng trợ cấp hưu trí xã hội")
    assert not _offers_plain_operation("Điều chỉnh, thôi hưởng trợ cấp hưu trí xã hội")


def test_someone_with_no_pension_is_pointed_to_the_social_pension(kb: LocalKnowledgeBase) -> None:
    question = "bà tôi không có lương hưu, thủ tục hưởng trợ cấp hưu trí xã hội thế nào"
    assert _shown(kb.answer(question, limit=3).result)[0] == SOCIAL_PENSION


def test_how_much_longer_until_a_right_is_due_is_a_question_of_the_rules(
    kb: LocalKnowledgeBase,
) -> None:
    question = (
        "Năm nay tôi 55 tuổi, đã đóng bảo hiểm xã hội 12 năm, vậy tôi phải đóng thêm bao lâu "
        "nữa thì được nhận lương hưu?"
    )
    assert kb.answer(question, limit=3).kind is AnswerKind.LAW
