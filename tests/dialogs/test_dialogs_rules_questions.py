"""Questions a procedure card would answer wrongly: whether something is allowed or how much,
with a procedure whose name they say little of, and words a stranger's name fits as well."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness

from knowledge.base import LocalKnowledgeBase


@pytest.mark.parametrize(
    "question",
    [
        "người nước ngoài có được đứng tên mua nhà ở Việt Nam không",
        "con riêng của chồng có được hưởng thừa kế không",
        "lương 20 triệu thì đóng thuế thu nhập cá nhân bao nhiêu",
    ],
)
def test_asking_whether_with_a_name_said_little_gets_the_legal_reply(
    knowledge: LocalKnowledgeBase, question: str
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect("không tư vấn pháp luật", "Trung tâm trợ giúp pháp lý nhà nước")
    chat.expect_not("Mã thủ tục")
    assert chat.step == "qa:law"


@pytest.mark.parametrize(
    ("question", "procedure", "sure"),
    [
        # the name said whole: a procedure question, whatever "có được … không" says
        ("có được đăng ký tạm trú cho con ở nhà thuê không", "Đăng ký tạm trú", True),
        # asks for the papers as well; no age told, so the cards for 14 and over and for under
        # 14 score level and are offered as a choice (NEAR_TIE)
        ("con tôi có được làm căn cước không, thủ tục thế nào", "Cấp thẻ căn cước", False),
        # "có phải … không" asks whether a procedure is needed
        ("xây nhà 2 tầng ở nông thôn có phải xin phép không", "giấy phép xây dựng", True),
        # can it be done at all
        ("giờ làm căn cước có được không", "căn cước", False),
    ],
)
def test_asking_whether_a_procedure_can_be_done_still_gets_it(
    knowledge: LocalKnowledgeBase, question: str, procedure: str, sure: bool
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect(procedure)
    chat.expect_not("không tư vấn pháp luật")
    if sure:
        chat.expect_not("Tôi chưa chắc")
    else:
        chat.expect("Tôi chưa chắc")


def test_a_long_question_whether_it_can_be_done_gets_the_procedure_as_the_first_guess(
    knowledge: LocalKnowledgeBase,
) -> None:
    # 17 words saying under half of the name: a "did you mean" (CARD_SAYS), never the law
    question = "bà tôi 80 tuổi chưa làm chứng minh bao giờ, giờ làm căn cước có được không"
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect("Tôi chưa chắc", "Cấp thẻ căn cước")
    chat.expect_not("không tư vấn pháp luật")


@pytest.mark.parametrize(
    "question",
    [
        "muốn được trả lại tiền thì làm sao",
        "em mới tốt nghiệp đại học, nên xin việc ở đâu lương cao",
    ],
)
def test_a_best_said_little_with_a_stranger_level_with_it_is_only_a_guess(
    knowledge: LocalKnowledgeBase, question: str
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect("Tôi chưa chắc bạn hỏi thủ tục nào")
    chat.expect_not("Mã thủ tục")
    assert chat.step == "qa:unsure"


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("ứng dụng VNeID cứ báo lỗi, không vào được thì làm sao", "18001096"),
        ("trang dịch vụ công bị treo không nộp được hồ sơ", "18001096"),
        ("bộ phận một cửa của phường có làm việc thứ bảy không", "sáng thứ Bảy"),
        ("đã nộp trực tuyến thì có phải mang bản giấy lên xã nữa không", "toàn trình"),
    ],
)
def test_portal_faults_and_office_hours_get_the_curated_answer(
    knowledge: LocalKnowledgeBase, question: str, answer: str
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect(answer, "Nguồn:")
    chat.expect_not("Mã thủ tục")
    assert chat.step == "qa:help"


@pytest.mark.parametrize(
    "question",
    [
        "trợ cấp thất nghiệp được hưởng tối đa mấy tháng",  # how long a right lasts
        "có nên mua nhà chưa có sổ hồng không",  # advice on a choice
        "công ty chậm trả lương ba tháng nay thì tôi phải làm gì",  # a labour dispute
        "đóng bảo hiểm xã hội tự nguyện thấp nhất mỗi tháng là bao nhiêu",  # an amount
    ],
)
def test_questions_about_rights_and_amounts_get_the_legal_reply(
    knowledge: LocalKnowledgeBase, question: str
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect("không tư vấn pháp luật")
    chat.expect_not("Mã thủ tục")
    assert chat.step == "qa:law"


def test_shopping_for_a_service_is_not_a_procedure_question(
    knowledge: LocalKnowledgeBase,
) -> None:
    ChatHarness(knowledge=knowledge).send("mua bảo hiểm ô tô ở đâu uy tín giá rẻ").expect_not(
        "Mã thủ tục"
    )


@pytest.mark.parametrize(
    "question",
    [
        # a quarrel told as what the other party did, without "tranh chấp" or "khởi kiện"
        "Nhà bên cạnh xây tường lấn sang đất nhà tôi gần nửa mét, giờ tôi nên làm gì?",
        "Tôi cho thuê nhà, người thuê nợ ba tháng tiền nhà mà không chịu trả, tôi phải làm sao?",
        "chu tro tu y tang gia dien nuoc gap doi thi em phai lam gi",
        # a deposit kept in a private deal
        "chủ nhà không trả lại tiền cọc thì làm sao",
        # advice on a choice
        "nên để sổ đỏ đứng tên cả hai vợ chồng hay một người thì tốt hơn",
    ],
)
def test_a_quarrel_or_a_choice_gets_the_legal_reply_not_a_card(
    knowledge: LocalKnowledgeBase, question: str
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect("không tư vấn pháp luật")
    chat.expect_not("Mã thủ tục")
    assert chat.step == "qa:law"


@pytest.mark.parametrize(
    ("question", "procedure"),
    [
        # a landlord's word is no quarrel
        ("chủ trọ bảo em phải đi đăng ký tạm trú thì cần mang gì", "Đăng ký tạm trú"),
        # a choice that asks for the papers too
        ("nên làm căn cước ở phường nào nhanh hơn, cần giấy tờ gì", "căn cước"),
    ],
)
def test_a_landlord_or_a_choice_asking_for_the_papers_still_gets_the_procedure(
    knowledge: LocalKnowledgeBase, question: str, procedure: str
) -> None:
    chat = ChatHarness(knowledge=knowledge).send(question)
    chat.expect(procedure)
    chat.expect_not("không tư vấn pháp luật")
