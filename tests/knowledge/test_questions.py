"""Portal-usage and legal questions are recognised from the curated data in knowledge/data/faq."""

from __future__ import annotations

import pytest

from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind, Questions


@pytest.mark.parametrize(
    ("query", "entry"),
    [
        ("quên mật khẩu dịch vụ công", "forgot-password"),
        ("dang nhap dich vu cong bang vneid the nao", "login-vneid"),
        ("nộp lệ phí online bằng thẻ ngân hàng được không", "pay-online"),
        ("dịch vụ công toàn trình là gì", "full-process"),
        ("có cần chữ ký số để nộp hồ sơ không", "digital-signature"),
        ("tra cứu hồ sơ đã nộp ở đâu", "track-dossier"),
        ("nộp hồ sơ trên cổng rồi làm sao biết hồ sơ được duyệt chưa", "track-dossier"),
        ("đổi điện thoại mới thì đăng nhập vneid thế nào", "vneid-new-device"),
        ("vneid báo tài khoản đang dùng trên thiết bị khác", "vneid-new-device"),
        ("cai vneid khong nhan duoc ma otp", "vneid-activation"),
        ("làm sao tích hợp bằng lái xe vào VNeID", "vneid-documents"),
        ("I forgot password for the portal", "forgot-password"),
    ],
)
def test_each_portal_topic_is_answered_from_the_curated_set(
    questions: Questions, query: str, entry: str
) -> None:
    found = questions.portal_help(query)
    assert found is not None and found.id == entry
    assert found.vi and found.en
    assert found.sources and all(s.startswith("https://") for s in found.sources)


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký khai sinh",
        "làm căn cước cho con",
        "tách thửa một phần đất cho con",  # "một phần" is no question about the portal
        "đăng ký xe máy mới mua",  # "máy mới" is a new motorbike, not a new phone
        "tích hợp thông tin trên thẻ căn cước",  # a procedure, not the VNeID wallet
        "mẹ tôi có được hưởng trợ cấp hưu trí xã hội không, thủ tục thế nào",
        "xây nhà 2 tầng có phải xin phép không",
        "lam ho chieu mat bao lau thi co",  # the processing time, not a rule
        "đã đủ tuổi nghỉ hưu thì làm hồ sơ hưởng lương hưu ở đâu",
        "bản án có hiệu lực mà bên kia không trả tiền thì làm sao",
    ],
)
def test_procedure_questions_are_not_portal_help(questions: Questions, query: str) -> None:
    assert questions.portal_help(query) is None
    assert not questions.about_law(query)


@pytest.mark.parametrize(
    "query",
    [
        "đăng ký khai sinh muộn có bị phạt không",
        "xây nhà không phép có hợp pháp không",
        "tranh chấp đất với hàng xóm",
        "muốn khởi kiện công ty nợ lương",
        "is it legal to rent out my flat",
        # what the rules are, asked without asking how to do anything
        "tuổi nghỉ hưu của lao động nữ là bao nhiêu",
        "hàng xóm lấn đất thì giải quyết như thế nào",
        "khi ly hôn thì chia đất như thế nào",
        "mua đất bằng giấy tay có được pháp luật công nhận không",
        # how long, how an amount is worked out, whether a paper is valid, at what age
        "thời gian hưởng trợ cấp thất nghiệp là bao lâu",
        "mức lương hưu được tính như thế nào",
        "cach tinh tien bao hiem xa hoi mot lan",
        "hop dong dat coc viet tay co hieu luc khong",
        "bao nhieu tuoi thi phai di nghia vu quan su",
        "đóng bảo hiểm bao nhiêu năm thì được nhận lương hưu",
    ],
)
def test_questions_about_the_law_are_recognised(questions: Questions, query: str) -> None:
    assert questions.about_law(query)


def test_the_answer_route_puts_help_and_law_before_the_search() -> None:
    kb = LocalKnowledgeBase.load()
    assert kb.answer("quên mật khẩu vneid").kind is AnswerKind.HELP
    law = kb.answer("đăng ký khai sinh muộn có bị phạt không")
    assert law.kind is AnswerKind.LAW
    assert law.result.match is not None and law.result.match.code == "1.001193"
    assert kb.answer("đăng ký khai sinh").kind is AnswerKind.PROCEDURE
    assert kb.answer("abc xyz qwe").kind is AnswerKind.NONE
