"""A letter's question that points back at the sentence before it is read with that sentence.

The ninth tuning round (bench/answers.md): "... công an yêu cầu giấy lý lịch tư pháp. Vậy em
cần mang giấy tờ gì ...?" names nothing but papers and fees by itself; its "Vậy" says the
subject is one sentence back. A question naming its own subject is read alone, so that a story
sentence beside it ("đất không có tranh chấp với ai") does not become its subject.
"""

from __future__ import annotations

from knowledge.asking import Asking
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind, Questions, route
from knowledge.results import SearchHit, SearchResult

FIRST_LAND_CERTIFICATE = "1.013978"

POINTING_BACK = (
    "Năm ngoái em sang Hàn Quốc làm việc theo hợp đồng, nay đã về quê ở Thái Bình. Em đang "
    "xin việc ở một công ty may, phòng nhân sự bảo phải nộp thêm phiếu lý lịch tư pháp. "
    "Vậy em phải chuẩn bị giấy tờ gì và nộp ở đâu, mất bao nhiêu tiền?"
)
NAMING_ITS_OWN = (
    "Bố mẹ tôi khai hoang mảnh vườn này từ năm 1990, đất không có tranh chấp với ai, cả nhà "
    "ở ổn định từ đó. Xin hỏi giờ muốn làm sổ đỏ lần đầu thì cần những gì?"
)


def test_a_question_opening_with_vay_is_read_with_the_sentence_before(asking: Asking) -> None:
    lead_in = asking.lead_in(POINTING_BACK)
    assert lead_in is not None
    assert lead_in.startswith("Em đang xin việc")
    assert lead_in.endswith("mất bao nhiêu tiền?")


def test_a_question_naming_its_own_subject_has_no_lead_in(asking: Asking) -> None:
    assert asking.lead_in(NAMING_ITS_OWN) is None
    assert asking.lead_in("Vậy em cần mang giấy tờ gì?") is None  # no separate asking part


def test_a_part_naming_nothing_but_fees_gives_way_to_its_lead_in(asking: Asking) -> None:
    # the part alone finds a name sharing "chi phí" (said 0.24), the letter whole nothing:
    # read with the sentence before, it names the criminal record certificate
    lead_in = asking.lead_in(POINTING_BACK)
    asked = asking.part(POINTING_BACK)
    fees = SearchHit(code="2.002800", name="chi phí giám định", score=0.5, said=0.24)
    record = SearchHit(code="3.000333", name="lý lịch tư pháp", score=0.9, said=0.6)

    def search(query: str, locale: str, limit: int, letter: str | None = None) -> SearchResult:
        if query == lead_in:
            return SearchResult(query, record)
        return SearchResult(query, fees if query == asked else None)

    answer = route(Questions.load(), search, POINTING_BACK, "vi", 3)
    assert answer.kind is AnswerKind.PROCEDURE
    assert answer.result.match is not None and answer.result.match.code == "3.000333"


def test_the_letter_naming_its_own_subject_keeps_it(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer(NAMING_ITS_OWN, limit=3)
    assert answer.kind is AnswerKind.UNSURE
    assert answer.result.candidates[0].code == FIRST_LAND_CERTIFICATE
