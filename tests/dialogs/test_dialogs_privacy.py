"""Transcripts: "delete my data" explains, asks once, and only an immediate yes asks the
dispatcher to erase (tests/test_cli_chat.py and tests/storage/test_personal_data.py run the
erasure itself)."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness
from test_dialogs_checklist import start_birth_checklist

from dialogs.step import DeleteMyData

ASK = ("Có, xoá hết", "Không, giữ lại")


@pytest.mark.parametrize(
    "typed", ["xoá dữ liệu của tôi", "Xoa du lieu cua toi", "/xoa_du_lieu", "delete my data"]
)
def test_the_request_explains_what_goes_and_asks_first(chat: ChatHarness, typed: str) -> None:
    chat.send(typed).expect("xoá mọi dữ liệu", "không thể hoàn tác").expect_buttons(*ASK)
    assert chat.effects == ()


def test_yes_erases_and_no_keeps_everything(chat: ChatHarness) -> None:
    start_birth_checklist(chat)
    chat.send("xoá dữ liệu của tôi").press("Không, giữ lại").expect("Chưa xoá gì cả")
    assert chat.effects == () and chat.state.get("checklists")

    chat.send("xoá dữ liệu của tôi").press("Có, xoá hết").expect("Đã xoá toàn bộ")
    assert chat.effects == (DeleteMyData(),)
    assert "checklists" not in chat.state


def test_a_yes_that_does_not_answer_the_question_deletes_nothing(chat: ChatHarness) -> None:
    chat.send("xoá dữ liệu của tôi").send("menu")
    chat.payload("pv:yes").expect("Nút này đã cũ")
    assert chat.effects == ()
