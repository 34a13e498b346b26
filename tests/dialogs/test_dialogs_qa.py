"""Transcripts: questions, close variants, the answer card and "nothing fits"."""

from __future__ import annotations

from dataclasses import replace

from chat_harness import ChatHarness
from dialog_fakes import BIRTH, FakeKnowledgeBase

from bot.i18n import translator
from dialogs.flows.card import variant_labels
from dialogs.step import LocalDesk
from knowledge.model import Channel, ChannelKind, Duration, Fee


def test_close_variants_are_asked_before_answering(chat: ChatHarness) -> None:
    chat.send("dang ky khai sinh").expect(
        "Có vài trường hợp gần giống nhau",
        "1. Thủ tục đăng ký khai sinh",
        "2. Thủ tục đăng ký khai sinh có yếu tố nước ngoài",
        "3. Thủ tục đăng ký lại khai sinh",
    )
    chat.expect_not("Mã thủ tục")
    chat.expect_buttons(
        "Đăng ký khai sinh", "Đăng ký khai sinh có yếu tố nước ngoài", "Đăng ký lại khai sinh"
    )
    assert chat.step == "qa:choose_variant"
    chat.press("Đăng ký lại khai sinh").expect(
        "Thủ tục đăng ký lại khai sinh", "Mã thủ tục: 1.004884"
    )


def test_a_number_picks_a_variant_when_buttons_became_a_numbered_list(chat: ChatHarness) -> None:
    chat.send("dang ky khai sinh").send("2").expect("Mã thủ tục: 2.000528")


def test_the_answer_card_has_every_fact_and_the_next_steps(chat: ChatHarness) -> None:
    chat.send("dang ky khai sinh").press("Đăng ký khai sinh")
    assert chat.text.splitlines() == [
        "Thủ tục đăng ký khai sinh",
        "Nơi thực hiện: Cấp xã — Ủy ban nhân dân cấp xã",
        "Thời gian giải quyết: 1 ngày làm việc",
        "Lệ phí: miễn phí",
        # Everyone's papers, and never the papers of cases that exclude each other summed in.
        "Giấy tờ cần nộp: 2 loại giấy tờ, thêm giấy tờ riêng của trường hợp của bạn "
        "(có 2 trường hợp)",
        "Nộp trực tuyến: có, một phần",
        "Trên Cổng Dịch vụ công: " + BIRTH.source_url,
        "Mã thủ tục: 1.001193",
    ]
    chat.expect_buttons(
        "Xem giấy tờ cần chuẩn bị",
        "Nộp hồ sơ trực tuyến",
        "Mở Cổng Dịch vụ công",  # not a second "Nộp trực tuyến" beside the chat's own filing
        "Thủ tục khác",
        "Chưa đúng ý tôi",
        "Menu",
    )
    assert chat.url_of("Mở Cổng Dịch vụ công") == BIRTH.source_url
    chat.press("Nộp hồ sơ trực tuyến").expect("Nghị định 13/2023/NĐ-CP", "Bạn có đồng ý không?")


def test_no_file_online_button_when_the_procedure_cannot_be_filed_online(chat: ChatHarness) -> None:
    chat.send("cccd").expect("Nộp trực tuyến: không, nộp trực tiếp", "Lệ phí: 50.000")
    chat.expect_buttons("Xem giấy tờ cần chuẩn bị", "Thủ tục khác", "Chưa đúng ý tôi", "Menu")


def test_a_time_without_its_unit_is_shown_honestly(chat: ChatHarness) -> None:
    chat.send("dang ky khai sinh").press("Đăng ký lại khai sinh")
    chat.expect(
        "Thời gian giải quyết: ⚠ cần hỏi lại bộ phận một cửa: "
        "5 (Cổng Dịch vụ công không ghi đơn vị)"
    )


def test_fee_without_amount_shows_the_portal_words_and_money_is_formatted() -> None:
    odd = replace(
        BIRTH,
        channels=(
            Channel(
                ChannelKind.IN_PERSON,
                Duration(None, None, "Theo quy định"),
                Fee(None, "Theo mức của tỉnh"),
            ),
            Channel(ChannelKind.ONLINE, None, Fee(1500000, "1.500.000 đồng")),
        ),
    )
    knowledge = FakeKnowledgeBase()
    knowledge.procedures[odd.code] = odd
    chat = ChatHarness(knowledge=knowledge)
    chat.send("dang ky khai sinh").press("Đăng ký khai sinh")
    chat.expect(
        "Thời gian giải quyết: Theo quy định",
        "Lệ phí: trực tiếp: Theo mức của tỉnh; trực tuyến: 1.500.000\u00a0₫",
    )


def test_other_procedures_lists_the_runners_up(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").press("Thủ tục khác")
    chat.expect("Có thể bạn cần", "1. Thủ tục đăng ký khai sinh")
    chat.expect_buttons("Đăng ký khai sinh", "Hỏi việc khác")
    chat.press("Đăng ký khai sinh").expect("Mã thủ tục: 1.001193")


def test_other_procedures_without_runners_up_invites_a_new_question(chat: ChatHarness) -> None:
    chat.send("cccd").press("Thủ tục khác").expect("Bạn gõ việc cần làm")
    assert chat.step == "qa:ask"


def test_nothing_fits_is_said_kindly_with_menu_and_staff(chat: ChatHarness) -> None:
    chat.send("xin cấp phép bay drone trên sao Hỏa").expect("Xin lỗi, tôi chưa tìm thấy thủ tục")
    chat.expect_buttons("Menu", "Hỏi cán bộ")
    chat.expect_not("Mã thủ tục")
    chat.press("Hỏi cán bộ")
    assert chat.step == "staff:wait_text"


def test_a_search_hit_missing_from_the_knowledge_base_is_never_shown() -> None:
    knowledge = FakeKnowledgeBase()
    del knowledge.procedures["1.014063"]
    ChatHarness(knowledge=knowledge).send("cccd").expect("Xin lỗi, tôi chưa tìm thấy thủ tục")


def test_variant_labels_are_short_and_say_how_the_variant_differs() -> None:
    long_name = replace(
        BIRTH,
        code="2.000986",
        name="Liên thông thủ tục hành chính về đăng ký khai sinh, đăng ký thường trú, cấp thẻ "
        "bảo hiểm y tế cho trẻ em dưới 6 tuổi",
    )
    county = replace(BIRTH, code="9.000001", levels=("Cấp tỉnh",))
    labels = variant_labels([BIRTH, long_name, county])
    assert labels[0] == "Đăng ký khai sinh (Cấp xã)"
    assert labels[2] == "Đăng ký khai sinh (Cấp tỉnh)"
    assert labels[1].startswith("Đăng ký thường trú, cấp thẻ bảo hiểm")
    assert all(len(label) <= 40 for label in labels)


def test_the_plain_case_of_long_variants_is_labelled_by_its_level() -> None:
    base = replace(BIRTH, name="Cấp thẻ căn cước cho người từ đủ 14 tuổi trở lên")
    province = replace(
        base, code="2.000200", name=base.name + " (thực hiện tại cấp tỉnh)", levels=("Cấp tỉnh",)
    )
    assert variant_labels([base, province]) == ["Cấp xã", "Thực hiện tại cấp tỉnh"]


def test_search_gets_a_bounded_clean_query_in_the_users_language() -> None:
    knowledge = FakeKnowledgeBase()
    chat = ChatHarness(knowledge=knowledge, locale="en")
    chat.send("<b>birth</b> certificate\x00\x07 " + "please " * 20_000)
    assert chat.step == "qa:choose_variant"
    [query] = knowledge.queries
    assert query.startswith("birth certificate please")
    assert len(query) <= 300 and "<" not in query and "\x00" not in query
    assert translator("en").gettext("Menu") == "Menu"


def test_an_unsure_search_offers_guesses_never_an_answer(chat: ChatHarness) -> None:
    chat.send("can giay to cho con").expect(
        "Tôi chưa chắc bạn hỏi thủ tục nào. Có phải một trong các thủ tục sau?",
        "1. Thủ tục đăng ký khai sinh",
        "2. Hưởng trợ cấp thất nghiệp (Cấp tỉnh) (chỉ có tên và trang chính thức)",
    )
    chat.expect_not("Mã thủ tục", "Giấy tờ cần nộp")
    chat.expect_buttons(
        "Đăng ký khai sinh", "Hưởng trợ cấp thất nghiệp (Cấp tỉnh)", "Không phải", "Hỏi cán bộ"
    )
    assert chat.step == "qa:unsure"
    chat.press("Đăng ký khai sinh").expect("Mã thủ tục: 1.001193")


def test_a_catalogue_only_procedure_says_it_has_no_paper_list(chat: ChatHarness) -> None:
    chat.send("tro cap that nghiep").expect(
        "Hưởng trợ cấp thất nghiệp (Cấp tỉnh)",
        "tôi chưa có danh sách giấy tờ, lệ phí và thời gian giải quyết",
        "Cơ quan thực hiện: Ủy ban nhân dân tỉnh và thành phố trực thuộc Trung ương; Sở Nội Vụ",
        "Cơ quan ban hành: Bộ Nội vụ",
        "Lĩnh vực: Việc làm",
        "Mã thủ tục: 1.014748",
    )
    chat.expect_not("Giấy tờ cần nộp", "Lệ phí")
    chat.expect_buttons("Mở trang chính thức", "Thủ tục khác", "Chưa đúng ý tôi", "Menu")
    assert chat.url_of("Mở trang chính thức").endswith("019d2bfb-2b1d-7649-8f76-f5315475eb46")


def test_a_question_about_using_the_portal_gets_a_short_answer_with_its_source(
    chat: ChatHarness,
) -> None:
    chat.send("quen mat khau dich vu cong thi lam the nao").expect(
        "Quên mật khẩu VNeID thì mở ứng dụng VNeID", "Nguồn: https://dichvucong.gov.vn/"
    )
    chat.expect_not("Mã thủ tục")
    assert chat.step == "qa:help"
    chat.send("how do I pay the fee online").expect("có thể thanh toán trực tuyến", "Nguồn:")


def test_portal_help_offers_the_procedure_the_question_also_names(chat: ChatHarness) -> None:
    chat.send("thanh toán trực tuyến lệ phí khai sinh").expect("thanh toán trực tuyến")
    chat.press("Đăng ký khai sinh").expect("Mã thủ tục: 1.001193")


def test_a_legal_question_is_told_where_to_ask_and_offered_its_procedure(
    chat: ChatHarness,
) -> None:
    chat.send("khai sinh muộn cho con có bị phạt không").expect(
        "không tư vấn pháp luật",
        "bộ phận một cửa",
        "Trung tâm trợ giúp pháp lý nhà nước",
        "Thủ tục liên quan đến câu hỏi của bạn: Thủ tục đăng ký khai sinh",
    )
    assert chat.step == "qa:law"
    chat.expect_buttons("Đăng ký khai sinh", "Hỏi cán bộ", "Menu")


def test_a_legal_question_without_a_procedure_is_still_answered_kindly(chat: ChatHarness) -> None:
    chat.send("hàng xóm lấn đất thì khởi kiện thế nào").expect("không tư vấn pháp luật")
    chat.expect_not("Thủ tục liên quan")
    chat.expect_buttons("Hỏi cán bộ", "Menu")


def test_a_citizens_own_commune_desk_comes_with_the_answer() -> None:
    desk = LocalDesk(
        address="Số 1 Lê Lợi, xã Ba Đình",
        phone="0243 123 4567",
        days="123456",
        opens="07:30",
        closes="17:00",
        map_url="https://maps.example/xa",
        notes="Thứ Bảy chỉ làm buổi sáng.",
    )
    chat = ChatHarness(local_desk=desk)
    chat.send("cccd").expect(
        "Bộ phận một cửa của xã bạn:\nSố 1 Lê Lợi, xã Ba Đình\n"
        "Làm việc Thứ Hai–Thứ Bảy, 07:30–17:00\nĐiện thoại: 0243 123 4567\n"
        "Bản đồ: https://maps.example/xa\nThứ Bảy chỉ làm buổi sáng."
    )
    ChatHarness().send("cccd").expect_not("Bộ phận một cửa của xã bạn")
