"""Transcripts: the main menu, the commands that work anywhere, language, and the other services."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness

from dialogs.step import ListDossiers, LookUpDossier

MENU_VI = (
    "Hỏi về thủ tục",
    "Kiểm tra giấy tờ",
    "Nộp hồ sơ",
    "Tra cứu hồ sơ",
    "Thông báo của xã",
    "Hỏi cán bộ",
    "Ngôn ngữ / Language",
    "Liên kết tài khoản",
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
    chat.expect_has_buttons("đăng ký khai sinh", "cấp Giấy xác nhận tình trạng hôn nhân")
    assert chat.url_of("Mở Cổng Dịch vụ công") == "https://dichvucong.gov.vn"
    chat.send("đăng ký kết hôn").expect("Mã thủ tục: 1.000894")


def test_lookup_lists_my_dossiers_and_explains_the_code(chat: ChatHarness) -> None:
    chat.send("/start").press("Tra cứu hồ sơ")
    assert chat.effects == (ListDossiers(),)
    items = [{"code": "000.00.20.H39-261124-0001", "procedure": "1.001193", "status": "accepted"}]
    chat.internal("ds:mine", {"items": items})
    chat.expect("000.00.20.H39-261124-0001 (1.001193): Đã tiếp nhận", "gõ mã hồ sơ")
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


def test_staff_keeps_exactly_what_was_typed_and_nothing_else(chat: ChatHarness) -> None:
    chat.send("/start").press("Hỏi cán bộ").expect("giờ hành chính")
    assert chat.step == "staff:wait_text"
    # while waiting, text is the question, not a search
    chat.send("Cho hỏi   xã mình làm việc thứ 7 không?")
    chat.expect("câu hỏi đã được lưu").expect_buttons(*MENU_VI)
    assert chat.state["staff_notes"] == [
        {"text": "Cho hỏi xã mình làm việc thứ 7 không?", "at": "2026-11-24T09:30:00+00:00"}
    ]
    assert chat.knowledge.queries == []  # type: ignore[attr-defined]


def test_cancel_leaves_the_staff_question_unsent(chat: ChatHarness) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("hủy").expect("Đã dừng.")
    assert "staff_notes" not in chat.state
