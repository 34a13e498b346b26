"""Transcripts: the main menu, the commands that work anywhere, language, and the other services."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness

from dialogs.step import EndStaff, ListDossiers, LookUpDossier, RequestStaff

MENU_VI = (
    "Hỏi về thủ tục",
    "Kiểm tra giấy tờ",
    "Nộp hồ sơ",
    "Tra cứu hồ sơ",
    "Thông báo của xã",
    "Hỏi cán bộ",
    "Ngôn ngữ / Language",
    "Liên kết tài khoản",
    "Tham gia tổ công nghệ số",
)
MENU_EN = (
    "Ask about a procedure",
    "Check my documents",
    "Submit a dossier",
    "Look up a dossier",
    "Commune announcements",
    "Talk to staff",
    "Language / Ngôn ngữ",
    "Link my apps",
    "Join the digital-technology group",
)


def test_start_greets_and_shows_the_big_menu(chat: ChatHarness) -> None:
    chat.send("/start").expect("Xin chào!", "Bạn cần gì?").expect_buttons(*MENU_VI)
    assert chat.step == "menu"


def test_a_new_user_who_just_types_gets_an_answer_not_a_menu(chat: ChatHarness) -> None:
    chat.send("làm căn cước").expect("Cấp đổi thẻ căn cước", "Mã thủ tục: 1.014063")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("/menu", "Bạn cần gì?"),
        ("menu", "Bạn cần gì?"),
        ("/help", "Cách dùng:"),
        ("giúp", "Cách dùng:"),
        ("giup", "Cách dùng:"),
        ("help", "Cách dùng:"),
        ("/cancel", "Đã dừng."),
        ("hủy", "Đã dừng."),
        ("huy", "Đã dừng."),
        ("Cancel", "Đã dừng."),
        ("/start@motcua_bot", "Xin chào!"),
    ],
)
def test_commands_work_from_the_middle_of_a_checklist(
    chat: ChatHarness, typed: str, expected: str
) -> None:
    chat.send("dang ky ket hon").press("Xem giấy tờ cần chuẩn bị")
    assert chat.step == "checklist:item"
    chat.send(typed).expect(expected).expect_buttons(*MENU_VI)
    assert chat.step == "menu"
    # the checklist survives a cancel or a trip to the menu
    chat.press("Kiểm tra giấy tờ").expect_buttons("Đăng ký kết hôn (xong 0/3)", "Menu")


def test_language_choice_wins_over_the_platform_and_sticks() -> None:
    chat = ChatHarness(locale="vi")
    chat.send("/start").press("Ngôn ngữ / Language").expect("Chọn ngôn ngữ:")
    chat.expect_buttons("Tiếng Việt", "English", "Menu")
    chat.press("English").expect("I will speak English from now on.").expect_buttons(*MENU_EN)
    chat.send("lam cccd").expect("Fee: ₫50,000", "Processing time: 7 working days")
    chat.press("Menu").press("Language / Ngôn ngữ").press("Tiếng Việt").expect(
        "Từ giờ tôi sẽ nói tiếng Việt."
    )
    chat.send("lam cccd").expect("Lệ phí: 50.000\u00a0₫")  # Babel keeps it on one line


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("en", "Hello!"),
        ("en-US", "Hello!"),
        ("en_GB", "Hello!"),
        ("vi", "Xin chào!"),
        ("fr", "Xin chào!"),
        (None, "Xin chào!"),
    ],
)
def test_locale_comes_from_the_platform_language_code(platform: str | None, expected: str) -> None:
    ChatHarness(locale=platform).send("/start").expect(expected)


def test_english_is_complete_on_the_main_paths() -> None:
    chat = ChatHarness(locale="en")
    chat.send("/start").expect_buttons(*MENU_EN)
    chat.send("dang ky ket hon").expect(
        "Where: Cấp xã — Ủy ban nhân dân cấp xã",
        "Processing time: online: 1 working day; in person: 3 working days",
        "Fee: free",
        "Documents to hand in: 3 papers",
        "File online: yes, entirely online",
        "Procedure code: 1.000894",
    )
    chat.press("See the document checklist").expect("Document 1/3:", "Do you have it?")
    chat.expect_buttons("Have it", "Don't have it yet", "Not my case", "What is this?", "Pause")


def test_submit_for_the_current_procedure_explains_online_filing_with_its_link(
    chat: ChatHarness,
) -> None:
    chat.send("dang ky ket hon").send("menu").press("Nộp hồ sơ")
    chat.expect("Cách nộp “Thủ tục đăng ký kết hôn” trực tuyến", "VNeID", "chưa có")
    assert chat.url_of("Mở trang nộp hồ sơ").endswith("/1.000894")


def test_submit_for_an_in_person_procedure_says_where_to_go(chat: ChatHarness) -> None:
    chat.send("lam can cuoc").send("menu").press("Nộp hồ sơ")
    chat.expect("chưa nộp trực tuyến được", "Cấp xã — Công an cấp xã")
    chat.expect_buttons("Xem giấy tờ cần chuẩn bị", "Menu")


def test_submit_without_a_procedure_offers_those_filed_from_the_chat(chat: ChatHarness) -> None:
    chat.send("/start").press("Nộp hồ sơ").expect("có thể nộp ngay trong cuộc trò chuyện")
    chat.expect_has_buttons("Đăng ký khai sinh", "Cấp Giấy xác nhận tình trạng hôn nhân")
    assert chat.url_of("Mở Cổng Dịch vụ công") == "https://dichvucong.gov.vn"
    chat.send("đăng ký kết hôn").expect("Mã thủ tục: 1.000894")


def test_lookup_lists_my_dossiers_and_explains_the_code(chat: ChatHarness) -> None:
    chat.send("/start").press("Tra cứu hồ sơ")
    assert chat.effects == (ListDossiers(),)
    items = [{"code": "000.00.20.H39-261124-0001", "procedure": "1.001193", "status": "accepted"}]
    chat.internal("ds:mine", {"items": items})
    chat.expect("000.00.20.H39-261124-0001 (Đăng ký khai sinh): Đã tiếp nhận", "gõ mã hồ sơ")
    assert chat.url_of("Mở trang tra cứu") == (
        "https://dichvucong.gov.vn/p/home/dvc-tra-cuu-ho-so.html"
    )


def test_a_code_typed_anywhere_is_looked_up_with_the_id_number_when_needed(
    chat: ChatHarness,
) -> None:
    chat.send("hồ sơ 000.00.20.h39-261124-0001 của mẹ tôi sao rồi")
    assert chat.effects == (LookUpDossier("000.00.20.H39-261124-0001"),)
    chat.internal("ds:found", {"outcome": "ask_id", "code": "000.00.20.H39-261124-0001"})
    chat.expect("số định danh")
    chat.send("0011900123")
    chat.expect("12 chữ số")
    chat.send("001190012345")
    assert chat.effects == (LookUpDossier("000.00.20.H39-261124-0001", "001190012345"),)


def test_a_question_for_staff_hands_the_conversation_over_and_the_assistant_goes_quiet(
    chat: ChatHarness,
) -> None:
    chat.send("/start").press("Hỏi cán bộ").expect("Bạn hãy gõ câu hỏi gửi cán bộ")
    assert chat.step == "staff:wait_text"
    # while waiting, text is the question, not a search
    chat.send("Cho hỏi xã mình làm việc thứ 7 không?")
    assert chat.effects == (RequestStaff(),) and chat.replies == ()
    assert chat.step == "staff:talking"
    assert chat.knowledge.queries == []  # type: ignore[attr-defined]
    chat.internal("hs:queued", {"commune": 4, "opens_at": None}).expect("đã được chuyển tới cán bộ")
    chat.expect_buttons("Quay lại trợ lý")
    # the staff answer; what the citizen writes meanwhile gets no answer from the assistant
    chat.send("lam cccd")
    assert chat.replies == () and chat.knowledge.queries == []  # type: ignore[attr-defined]
    chat.send("/start")
    assert chat.replies == () and chat.step == "staff:talking"
    chat.internal("hs:reply", {"text": "Thứ 7 xã làm việc buổi sáng."})
    chat.expect("Cán bộ một cửa: Thứ 7 xã làm việc buổi sáng.").expect_buttons("Quay lại trợ lý")


def test_the_citizen_takes_the_conversation_back_by_word_or_button(chat: ChatHarness) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("Xin hỏi giờ làm việc?")
    chat.internal("hs:queued", {"commune": 4, "opens_at": None})
    chat.send("Kết thúc").expect("Bạn đã quay lại với trợ lý").expect_buttons(*MENU_VI)
    assert chat.effects == (EndStaff(),) and chat.step == "menu"
    chat.press("Hỏi cán bộ").send("Lại hỏi").internal("hs:queued", {"commune": 4, "opens_at": None})
    chat.press("Quay lại trợ lý").expect("Bạn đã quay lại với trợ lý")
    assert chat.effects == (EndStaff(),)
    chat.send("lam cccd").expect("căn cước")  # the assistant answers again


def test_outside_opening_hours_the_citizen_is_told_when_someone_answers(
    chat: ChatHarness,
) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("Xin hỏi giờ làm việc?")
    chat.internal("hs:queued", {"commune": 4, "opens_at": "2026-11-30T07:30:00+07:00"})
    chat.expect("ngoài giờ làm việc", "07:30 ngày 30/11/2026")


def test_staff_closing_gives_the_conversation_back_to_the_assistant(chat: ChatHarness) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("Xin hỏi giờ làm việc?")
    chat.internal("hs:closed").expect("Cán bộ một cửa đã kết thúc").expect_buttons(*MENU_VI)
    assert chat.step == "menu"
    chat.send("lam cccd").expect("căn cước")


def test_cancel_leaves_the_staff_question_unsent(chat: ChatHarness) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("hủy").expect("Đã dừng.")
    assert chat.effects == () and chat.step == "menu"
