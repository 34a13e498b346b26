"""Long letters are read by the part that asks; catalogue names said whole beat look-alikes."""

from __future__ import annotations

import pytest

from knowledge.asking import Asking
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind, Questions, _read_by_asking, route
from knowledge.results import SearchHit, SearchResult

TEMPORARY_RESIDENCE = "1.004194"
FIRST_LAND_CERTIFICATE = "1.013978"
BIRTH = {"1.001193", "2.000986", "2.001023"}

LETTER = (
    "Dạ chào các anh chị, em là sinh viên năm hai, quê em ở Quảng Bình, từ tháng 9 em vào "
    "Đà Nẵng học và thuê phòng ở cùng hai bạn gần trường, chủ nhà rất tốt. Em muốn hỏi em phải "
    "làm thủ tục gì để đăng ký tạm trú ạ?"
)


def test_the_asking_part_of_a_letter_leaves_its_greeting_and_story_out(asking: Asking) -> None:
    assert asking.part(LETTER) == "Em muốn hỏi em phải làm thủ tục gì để đăng ký tạm trú ạ?"


def test_a_one_word_cue_is_not_heard_in_a_common_word_of_the_story(asking: Asking) -> None:
    letter = (
        "Kính gửi anh chị cán bộ phường, gia đình tôi gồm hai vợ chồng và ba con nhỏ mới chuyển "
        "từ quê lên đây ở được gần một năm. Tôi muốn đăng ký thường trú."
    )
    assert asking.part(letter) == "Tôi muốn đăng ký thường trú."  # "gia đình" is no "định"


@pytest.mark.parametrize(
    "message",
    [
        "thủ tục đăng ký tạm trú",  # all of it asks
        "Cho hỏi đăng ký tạm trú ở đâu? Cần giấy tờ gì?",  # every sentence asks
        # it asks nowhere
        "em ở trọ gần trường đại học bách khoa cùng hai bạn cùng lớp từ đầu năm học, chủ nhà "
        "rất tốt, tiền phòng cũng rẻ, điện nước tính theo giá nhà nước",
        # a short message is one question: its clauses all count
        "giấy xác nhận tình trạng hôn nhân, hoá ra cần cho thủ tục mua nhà",
    ],
)
def test_a_message_that_is_all_asking_or_never_asks_has_no_separate_part(
    asking: Asking, message: str
) -> None:
    assert asking.part(message) is None


def test_a_long_letter_whose_question_names_the_procedure_gets_it(kb: LocalKnowledgeBase) -> None:
    whole = kb.search(LETTER, limit=3)
    assert whole.match is None or whole.match.code != TEMPORARY_RESIDENCE  # diluted by the story
    answer = kb.answer(LETTER, limit=3)
    assert answer.kind is AnswerKind.PROCEDURE
    assert answer.result.match is not None and answer.result.match.code == TEMPORARY_RESIDENCE
    assert answer.result.query == LETTER


def test_words_of_the_law_in_the_story_do_not_make_the_question_legal(
    kb: LocalKnowledgeBase,
) -> None:
    letter = (
        "Ông bà tôi khai hoang mảnh đất này từ năm 1988, đất không có tranh chấp với ai, "
        "nhà tôi ở ổn định từ đó. Xin hỏi giờ muốn làm sổ đỏ lần đầu thì cần những gì?"
    )
    answer = kb.answer(letter, limit=3)
    # the long official name ("Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận
    # ... lần đầu") is said in a small part, so a letter gets it as the first "did you mean"
    assert answer.kind is AnswerKind.UNSURE
    assert answer.result.candidates[0].code == FIRST_LAND_CERTIFICATE


def test_a_legal_question_that_asks_for_papers_gets_the_disclaimer_and_the_procedure(
    kb: LocalKnowledgeBase,
) -> None:
    letter = (
        "Cháu nội tôi sinh ở bệnh viện huyện được gần hai năm, bố mẹ cháu đi làm ăn xa nên chưa "
        "làm giấy khai sinh. Làm muộn như vậy có bị phạt không? Giờ cần chuẩn bị giấy tờ gì "
        "để đăng ký khai sinh cho cháu?"
    )
    answer = kb.answer(letter, limit=3)
    assert answer.kind is AnswerKind.LAW
    assert answer.result.match is not None and answer.result.match.code in BIRTH


def _hit(code: str) -> SearchHit:
    return SearchHit(code, code, 1.0)


def _codes(result: SearchResult) -> tuple[str | None, list[str]]:
    return (result.match.code if result.match else None), [h.code for h in result.candidates]


def test_the_asking_parts_procedure_answers_only_with_the_letters_support() -> None:
    sure = SearchResult("hỏi", _hit("A"), alternatives=(_hit("B"),))
    unsure = SearchResult("hỏi", None, candidates=(_hit("B"),))
    letter_unsure = SearchResult("thư", None, candidates=(_hit("C"),))
    letter_supports = SearchResult("thư", None, candidates=(_hit("C"), _hit("A")))
    letter_sure = SearchResult("thư", _hit("C"))
    drowned = SearchResult("thư", None)  # the story drowned every name: nothing disagrees
    assert _codes(_read_by_asking(sure, letter_supports, 3)) == ("A", [])
    assert _codes(_read_by_asking(sure, drowned, 3)) == ("A", [])
    assert _codes(_read_by_asking(sure, letter_sure, 3)) == ("C", [])
    # a sure asking part the letter does not support lost its subject: the letter's guesses
    assert _codes(_read_by_asking(sure, letter_unsure, 3)) == (None, ["C"])
    assert _codes(_read_by_asking(unsure, letter_unsure, 3)) == (None, ["B"])
    assert _read_by_asking(sure, letter_unsure, 3).query == "thư"


@pytest.mark.parametrize(
    ("query", "code"),
    [
        # the catalogue's name said whole beats "Ủy quyền lĩnh thay ... trợ cấp thất nghiệp"
        ("hưởng trợ cấp thất nghiệp", "1.014748"),
        ("nhận trợ cấp thất nghiệp thì nộp hồ sơ ở đâu", "1.014748"),
        # a detailed name said nearly as well keeps its place before the catalogue's twin
        ("hưởng bảo hiểm xã hội một lần", "1.001613"),
    ],
)
def test_a_catalogue_name_said_clearly_better_than_any_detailed_one_comes_first(
    kb: LocalKnowledgeBase, query: str, code: str
) -> None:
    result = kb.search(query, limit=3)
    assert result.match is not None and result.match.code == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("điều kiện để được công nhận hộ nghèo", "1.011607"),  # a condition is no lawsuit
        ("người nghèo bị kiện ra tòa có được luật sư miễn phí không", "2.000829"),
    ],
)
def test_the_kien_of_dieu_kien_is_not_a_lawsuit(
    kb: LocalKnowledgeBase, query: str, code: str
) -> None:
    result = kb.search(query, limit=3)
    assert result.match is not None and result.match.code == code


MARRIAGE_STATUS = "1.004873"

# A letter whose asking part refers back to its story ("giấy trên") and whose best name for
# that part alone shares only everyday words with it ("xác nhận"): the foreign-exchange
# registration of an oil and gas investment.
REFERS_BACK = (
    "Tôi sắp đăng ký kết hôn, theo quy định thì phải có giấy xác nhận tình trạng độc thân. "
    "Muốn xin giấy trên, tôi phải làm những thủ tục gì và đến đâu để được xác nhận?"
)
# A letter asking three things at once: its fees and authority drown the subject.
ASKS_THREE_THINGS = (
    "Năm 2005 bố mẹ tôi mua một mảnh đất ở ngoại thành bằng giấy viết tay, đã xây nhà ở ổn "
    "định từ đó đến nay. Cho tôi hỏi giờ muốn xin cấp sổ đỏ cho mảnh đất đó thì làm hồ sơ gì, "
    "lệ phí gồm những khoản nào, cơ quan nào có thẩm quyền giải quyết?"
)
SUBJECT = "Cho tôi hỏi giờ muốn xin cấp sổ đỏ cho mảnh đất đó thì làm hồ sơ gì"


def _said(code: str, said: float) -> SearchHit:
    return SearchHit(code, code, 1.0, said=said)


def test_an_asking_part_saying_little_of_its_best_name_gives_way_to_one_the_letter_names() -> None:
    little = SearchResult("hỏi", _said("A", 0.15), alternatives=(_hit("B"),))
    letter_names = SearchResult("thư", _said("C", 0.8), alternatives=(_hit("A"),))
    letter_says_little = SearchResult("thư", _said("C", 0.2), alternatives=(_hit("A"),))
    # the letter names its procedure: that one, though it also ranks the part's
    assert _codes(_read_by_asking(little, letter_names, 3)) == ("C", [])
    # the letter names none: the part's, which the letter supports, stands
    assert _codes(_read_by_asking(little, letter_says_little, 3)) == ("A", [])


def test_a_letter_naming_its_procedure_in_the_story_gets_it_not_a_name_sharing_words(
    kb: LocalKnowledgeBase,
) -> None:
    answer = kb.answer(REFERS_BACK, limit=3)
    assert answer.kind is AnswerKind.PROCEDURE
    assert answer.result.match is not None and answer.result.match.code == MARRIAGE_STATUS


def test_the_clauses_of_a_letters_asking_part_are_its_sub_questions(asking: Asking) -> None:
    assert asking.clauses(ASKS_THREE_THINGS) == [
        SUBJECT,
        "lệ phí gồm những khoản nào",
        "cơ quan nào có thẩm quyền giải quyết?",
    ]


def test_a_letter_whose_sub_questions_drown_its_subject_gets_the_clauses_guess() -> None:
    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        # only the subject's clause, read alone, names a procedure
        if query == SUBJECT:
            return SearchResult(query, _hit("X"), alternatives=(_hit("Y"),))
        return SearchResult(query, None)

    answer = route(Questions.load(), search, ASKS_THREE_THINGS, "vi", 3)
    assert answer.kind is AnswerKind.UNSURE  # a clause out of its letter is only a guess
    assert answer.result.match is None
    assert [h.code for h in answer.result.candidates] == ["X", "Y"]
    assert answer.result.query == ASKS_THREE_THINGS


def test_the_clauses_guess_on_the_shipped_base(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer(ASKS_THREE_THINGS, limit=3)
    assert answer.kind is AnswerKind.UNSURE
    assert [h.code for h in answer.result.candidates][:1] == [FIRST_LAND_CERTIFICATE]
