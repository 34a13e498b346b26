"""Transcripts: linking apps with a one-time code, as the dialogs see it (no I/O).

The dispatcher's part (making and checking codes) is played by hand with ``chat.internal``;
tests/storage/test_linking.py runs the same conversation through the real dispatcher.
"""

from __future__ import annotations

import json

import pytest
from chat_harness import ChatHarness
from test_dialogs_checklist import start_birth_checklist

from dialogs.state import merge
from dialogs.step import IssueLinkCode, RedeemLinkCode

LINK_MENU = ("Lấy mã liên kết", "Nhập mã", "Menu")
STALE = "Nút này đã cũ"


@pytest.mark.parametrize("typed", ["/link", "link", "liên kết", "lien ket", "Liên kết tài khoản"])
def test_the_link_menu_is_reached_by_command_words_and_the_menu(
    chat: ChatHarness, typed: str
) -> None:
    chat.send(typed).expect("Lấy mã liên kết", "Nhập mã").expect_buttons(*LINK_MENU)
    assert chat.step == "link:menu"
    chat.send("menu").press("Liên kết tài khoản").expect_buttons(*LINK_MENU)


def test_getting_a_code_asks_the_dispatcher_and_shows_its_answer(chat: ChatHarness) -> None:
    chat.send("/link").press("Lấy mã liên kết")
    assert chat.effects == (IssueLinkCode(),) and chat.replies == ()
    chat.internal("lk:code:042917:10")
    chat.expect(
        "Mã: 042 917 — dùng trong 10 phút, chỉ một lần.",
        "chọn “Liên kết tài khoản”, rồi “Nhập mã”",
        "Đừng đưa mã này cho ai",
    ).expect_buttons("Lấy mã mới", "Menu")
    assert "042917" not in json.dumps(chat.state) and "042 917" not in json.dumps(chat.state)


def test_entering_a_code_with_spaces_redeems_it(chat: ChatHarness) -> None:
    chat.send("/link").press("Nhập mã").expect("Gõ mã 6 chữ số").expect_buttons("Menu")
    assert chat.step == "link:wait_code"
    chat.send(" 042 917 ")
    assert chat.effects == (RedeemLinkCode("042917"),) and chat.replies == ()
    chat.internal("lk:res:linked").expect("Xong! Các ứng dụng của bạn đã được liên kết")
    chat.expect_buttons("Kiểm tra giấy tờ", "Menu")
    assert chat.step == "menu"


def test_a_bad_code_gets_one_kind_answer_and_another_try(chat: ChatHarness) -> None:
    chat.send("/link").press("Nhập mã").send("042917").internal("lk:res:invalid")
    chat.expect("Mã này không dùng được: có thể gõ nhầm, đã hết hạn hoặc đã được dùng.")
    assert chat.step == "link:wait_code"
    chat.send("042-918")
    assert chat.effects == (RedeemLinkCode("042918"),)
    chat.internal("lk:res:locked").expect("Đã gõ sai mã quá nhiều lần", "thử lại sau")
    assert chat.step == "menu"


@pytest.mark.parametrize("typed", ["12345", "abc", "làm căn cước"])
def test_anything_but_a_code_is_asked_for_again_and_menu_leaves(
    chat: ChatHarness, typed: str
) -> None:
    """Words used to be searched as a question, leaving the code half asked for; as at a
    filing's question, only a command leaves."""
    chat.send("/link").press("Nhập mã").send(typed)
    chat.expect("Mã liên kết gồm 6 chữ số, ví dụ 123 456.").expect_buttons("Menu")
    assert chat.effects == () and chat.step == "link:wait_code"
    chat.send("menu").expect("Bạn cần gì?")
    assert chat.step == "menu"


@pytest.mark.parametrize(
    "payload", ["lk:code:123456:10", "lk:res:linked", "lk:res:invalid", "lk:get:1", "lk:enter:x"]
)
def test_a_user_cannot_pass_off_the_dispatcher_s_answers(chat: ChatHarness, payload: str) -> None:
    chat.send("/link").press("Nhập mã")
    chat.payload(payload).expect(STALE)
    assert chat.effects == () and chat.step == "menu"


def test_an_unexpected_internal_answer_is_stale_too(chat: ChatHarness) -> None:
    chat.send("/link").internal("lk:res:maybe").expect(STALE)
    chat.internal("lk:code:12:10").expect(STALE)


def test_linking_in_english() -> None:
    chat = ChatHarness(locale="en")
    chat.send("/link").expect_buttons("Get a link code", "Enter a code", "Menu")
    chat.press("Get a link code").internal("lk:code:000001:1")
    chat.expect("Code: 000 001 — use it within 1 minute, once only.")


def test_merging_keeps_both_sides_checklists_and_the_newer_of_a_shared_one(
    chat: ChatHarness,
) -> None:
    start_birth_checklist(chat).press("Có rồi")
    person = chat.state
    other = ChatHarness(locale="en")
    other.clock.advance(hours=1)
    other.send("birth").send("1").press("See the document checklist")
    other.press("The usual case, none of these").press("Have it").press("Have it")
    other.send("dang ky ket hon").press("See the document checklist")
    other.send("/start").press("Language / Ngôn ngữ").press("English")

    merged = merge(person, other.state)
    assert merged["locale"] == "en" and merged["step"] == person["step"]  # person had no choice
    assert set(merged["checklists"]) == {"1.001193", "1.000894"}
    assert merged["checklists"]["1.001193"]["at"] == 2  # the newer one wins
    assert merge(merged, merge({}, person)) == merged  # merging again changes nothing

    person_with_choice = {**person, "locale": "vi"}
    assert merge(person_with_choice, other.state)["locale"] == "vi"
    assert merge({}, other.state) == other.state
