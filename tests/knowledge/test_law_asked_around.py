"""A fine, custody or call-up asked with words of the question's own gets the legal reply.

The eleventh tuning round (bench/answers.md): "có bị phạt tiền không" was not heard as "có bị
phạt không", "vợ tôi còn được quyền nuôi con không? Tôi muốn nhận nuôi cháu thì phải làm thế
nào?" got the adoption card, and "có phải đi nghĩa vụ quân sự không" the registration for
military service. A procedure the question involves is still offered beside the disclaimer, and
custody told as a fact leaves the procedure asked for its card.
"""

from __future__ import annotations

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind

ABSENCE = "1.003677"  # Khai báo tạm vắng
CHANGE_OF_NAME = "1.004859"  # Thay đổi, cải chính, bổ sung thông tin hộ tịch
MILITARY_REGISTRATION = "1.013133"  # Đăng ký nghĩa vụ quân sự lần đầu
RESIDENCE_CONFIRMATION = "1.010041"  # Xác nhận thông tin về cư trú


def test_a_fine_asked_with_words_between_is_a_legal_question(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer("Đi làm ăn xa mà quên khai báo tạm vắng thì có bị phạt tiền không?", limit=3)
    assert answer.kind is AnswerKind.LAW
    assert answer.result.match is not None and answer.result.match.code == ABSENCE


def test_asking_who_keeps_the_children_is_not_an_adoption(kb: LocalKnowledgeBase) -> None:
    letter = (
        "Ly hôn rồi, tòa cho vợ tôi nuôi bé gái nhưng vợ gửi bé về bà ngoại. Vậy vợ tôi có còn "
        "quyền nuôi con không? Tôi muốn nhận nuôi bé thì phải làm thế nào?"
    )
    assert kb.answer(letter, limit=3).kind is AnswerKind.LAW


def test_custody_told_as_a_fact_keeps_the_procedure_asked(kb: LocalKnowledgeBase) -> None:
    question = (
        "Tôi đã ly hôn, tòa giao quyền nuôi con cho tôi. Nay tôi muốn đổi họ cho con sang họ "
        "mẹ thì thủ tục thế nào?"
    )
    answer = kb.answer(question, limit=3)
    assert answer.kind is AnswerKind.PROCEDURE
    assert answer.result.match is not None and answer.result.match.code == CHANGE_OF_NAME


def test_whether_one_is_called_up_is_the_law_registration_is_a_procedure(
    kb: LocalKnowledgeBase,
) -> None:
    called_up = kb.answer("Con trai tôi bị hen suyễn thì có phải đi nghĩa vụ quân sự không?")
    assert called_up.kind is AnswerKind.LAW
    registering = kb.answer(
        "Năm nay cháu tôi đủ 17 tuổi, có phải đi đăng ký nghĩa vụ quân sự không, đăng ký ở đâu?"
    )
    assert registering.kind is AnswerKind.PROCEDURE
    assert registering.result.match is not None
    assert registering.result.match.code == MILITARY_REGISTRATION


def test_residency_is_read_as_the_residence(kb: LocalKnowledgeBase) -> None:
    answer = kb.answer("how do I get a residency confirmation letter", locale="en", limit=3)
    assert answer.result.match is not None
    assert answer.result.match.code == RESIDENCE_CONFIRMATION
