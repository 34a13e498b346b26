"""The filing's own words in Vietnamese: the menu names each procedure as a title (capital first,
without "Thủ tục"), and the review says how the result comes back in Vietnamese."""

from __future__ import annotations

from chat_harness import ChatHarness


def test_the_filing_menu_names_each_procedure_with_a_capital(chat: ChatHarness) -> None:
    chat.send("/start").press("Nộp hồ sơ")
    named = chat.labels[:2]  # the forms whose procedure the test's knowledge base holds
    assert named == ["Đăng ký khai sinh", "Cấp Giấy xác nhận tình trạng hôn nhân"]


def test_the_review_says_how_the_result_comes_back_in_vietnamese(chat: ChatHarness) -> None:
    chat.send("/start").press("Nộp hồ sơ").press("Cấp Giấy xác nhận tình trạng hôn nhân")
    chat.press("Tôi đồng ý")
    for typed in ("Trần Thị Lan", "001190012345", "0912345678", "Số 1 Tràng Tiền, Hà Nội"):
        chat.send(typed)
    chat.send("02/09/1995").press("Đã ly hôn").send("để đăng ký kết hôn")
    chat.press("Nhận tại bộ phận một cửa").expect("• Cách nhận kết quả: nhận tại bộ phận một cửa")
    chat.expect_not("Result")
