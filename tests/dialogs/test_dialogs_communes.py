"""Transcripts: choosing one's commune by buttons, by a name typed without diacritics, by an
old address, and ending the subscription with "Hủy đăng ký", STOP or the button."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness

from dialogs.step import ChooseCommune, RequestStaff, ShowCommune

BA_DINH = 4  # Phường Ba Đình, Hà Nội
HOAI_DUC = 9832  # Xã Hoài Đức, Hà Nội
O_DIEN = 9817  # Xã Ô Diên, Hà Nội


def _ask(chat: ChatHarness) -> ChatHarness:
    chat.send("/start").press("Thông báo của xã")
    assert chat.effects == (ShowCommune(),)
    return chat.internal("nw:mine", {"commune": None}).expect("Bạn ở xã, phường nào?")


def test_a_commune_is_chosen_with_buttons_province_then_commune(chat: ChatHarness) -> None:
    _ask(chat).expect_has_buttons("An Giang", "Thêm tỉnh, thành phố")
    while "Hà Nội" not in chat.labels:
        chat.press("Thêm tỉnh, thành phố")
    chat.press("Hà Nội").expect("Các xã, phường của Hà Nội")
    assert len(chat.labels) <= 10  # a short page of big buttons, then "Xem thêm"
    chat.expect_has_buttons("Xem thêm", "Tỉnh, thành phố khác")
    chat.send("ba dinh").expect("Có phải Phường Ba Đình, Hà Nội không?")
    chat.press("Đúng, nơi tôi ở").expect("xã, phường của bạn là Phường Ba Đình, Hà Nội")
    assert chat.effects == (ChooseCommune(BA_DINH),)
    assert chat.step == "menu"


def test_a_name_typed_without_diacritics_is_found(chat: ChatHarness) -> None:
    _ask(chat).send("phuong ba dinh").expect("Có phải Phường Ba Đình, Hà Nội không?")
    chat.press("Đúng, nơi tôi ở")
    assert chat.effects == (ChooseCommune(BA_DINH),)


def test_a_name_several_provinces_share_asks_which(chat: ChatHarness) -> None:
    _ask(chat).send("tan lap").expect("Có nhiều nơi cùng tên")
    chat.expect_has_buttons("Xã Tân Lập, Tây Ninh", "Xã Tân Lập, Quảng Trị")


def test_an_old_address_is_mapped_to_the_units_it_now_belongs_to(chat: ChatHarness) -> None:
    _ask(chat).send("xã Tân Lập, huyện Đan Phượng, Hà Nội")
    chat.expect("Từ ngày 1/7/2025, Xã Tân Lập, Huyện Đan Phượng, Thành phố Hà Nội thuộc nhiều")
    chat.expect_has_buttons("Xã Hoài Đức, Hà Nội", "Xã Ô Diên, Hà Nội")
    chat.press("Xã Ô Diên, Hà Nội")
    assert chat.effects == (ChooseCommune(O_DIEN),)


def test_an_old_commune_with_its_province_is_confirmed(chat: ChatHarness) -> None:
    _ask(chat).send("xa tan lap tinh phu tho")
    chat.expect("thuộc Xã Văn Miếu, Phú Thọ. Đó có phải").press("Đúng, nơi tôi ở")
    assert chat.effects[0] == ChooseCommune(chat.effects[0].code)  # type: ignore[union-attr]


def test_a_misspelt_name_offers_the_closest(chat: ChatHarness) -> None:
    _ask(chat).send("phuong ba dihn").expect("Có phải bạn muốn nói")
    chat.expect_has_buttons("Phường Ba Đình, Hà Nội", "Không phải, tìm lại")


def test_a_name_nobody_has_says_so_and_offers_the_list(chat: ChatHarness) -> None:
    _ask(chat).send("zzzz qqqq").expect("Tôi không tìm thấy “zzzz qqqq”")
    chat.expect_has_buttons("An Giang")
    assert chat.effects == ()


def test_a_chosen_commune_is_shown_with_change_and_stop(chat: ChatHarness) -> None:
    chat.send("/start").press("Thông báo của xã").internal("nw:mine", {"commune": HOAI_DUC})
    chat.expect("Xã, phường của bạn: Xã Hoài Đức, Hà Nội")
    chat.expect_buttons("Đổi xã, phường", "Hủy đăng ký nhận thông báo", "Menu")
    chat.press("Hủy đăng ký nhận thông báo").expect("không nhận thông báo của xã nữa")
    assert chat.effects == (ChooseCommune(None),)


@pytest.mark.parametrize("words", ["Hủy đăng ký", "STOP", "huy dang ky", "/stop"])
def test_unsubscribe_words_end_it_anywhere(chat: ChatHarness, words: str) -> None:
    chat.send("/start").send(words).expect("không nhận thông báo của xã nữa")
    assert chat.effects == (ChooseCommune(None),)


def test_english_is_complete(chat: ChatHarness) -> None:
    chat.locale = "en"
    chat.send("/start").press("Commune announcements").internal("nw:mine", {"commune": None})
    chat.expect("Which commune or ward do you live in?").send("phuong ba dinh")
    chat.expect("Is it Phường Ba Đình, Hà Nội?").press("Yes, that is mine")
    assert chat.effects == (ChooseCommune(BA_DINH),)


def test_a_question_for_the_staff_waits_for_the_commune_then_goes_to_it(
    chat: ChatHarness,
) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("Xin hỏi giờ làm việc?")
    assert chat.effects == (RequestStaff(),)
    chat.internal("hs:where").expect("Trước khi chuyển câu hỏi", "Bạn ở xã, phường nào?")
    chat.send("phuong ba dinh").press("Đúng, nơi tôi ở")
    assert chat.effects == (ChooseCommune(BA_DINH), RequestStaff())  # chosen, then handed over
    assert chat.step == "staff:talking"


def test_a_commune_chosen_later_for_the_announcements_does_not_hand_over(
    chat: ChatHarness,
) -> None:
    chat.send("/start").press("Hỏi cán bộ").send("Xin hỏi giờ làm việc?").internal("hs:where")
    chat.send("menu")  # the citizen gave up on the staff
    _ask(chat).send("phuong ba dinh").press("Đúng, nơi tôi ở")
    assert chat.effects == (ChooseCommune(BA_DINH),) and chat.step == "menu"
