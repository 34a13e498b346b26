"""Transcripts: bad input, numbered answers, stale buttons and stored states from other versions."""

from __future__ import annotations

import pytest
from chat_harness import ChatHarness

from dialogs.messages import Attachment


def at_checklist(chat: ChatHarness) -> dict[str, object]:
    chat.send("dang ky ket hon").press("Xem giấy tờ cần chuẩn bị").press("Có rồi")
    return dict(chat.state)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "\n\t",
        "😀🙏👍",
        "???!!!",
        "\x00\x01\x02\x1b\x7f",
        "<script></script>",
        "\ufffd\ufffd",
    ],
)
def test_empty_emoji_and_control_input_gets_a_calm_reply_and_changes_nothing(
    chat: ChatHarness, typed: str
) -> None:
    before = at_checklist(chat)
    chat.send(typed).expect("Tôi chưa hiểu.")
    assert chat.state == before
    chat.send("1").expect("Giấy tờ 3/3:")  # the step and its buttons are still there


def test_no_text_at_all_and_a_photo(chat: ChatHarness) -> None:
    before = at_checklist(chat)
    chat.send(None).expect("Tôi chưa hiểu.")
    chat.send(None, attachment=Attachment("image", url="https://example.org/a.jpg"))
    chat.expect("Tôi chỉ nhận ảnh và tệp là giấy tờ của hồ sơ")
    assert chat.state == before


@pytest.mark.parametrize(
    "typed",
    [
        "'; DROP TABLE conversations; --",
        "1 OR 1=1",
        "<img src=x onerror=alert(1)>",
        "SELECT * FROM users WHERE id = '1'",
    ],
)
def test_hostile_looking_text_is_just_a_question_that_finds_nothing(
    chat: ChatHarness, typed: str
) -> None:
    chat.send(typed)
    assert chat.text.startswith(("Xin lỗi, tôi chưa tìm thấy thủ tục", "Tôi chưa hiểu."))
    chat.expect_not(typed, "<", "DROP", "Mã thủ tục")  # never echoed back, nothing invented


def test_a_huge_paste_is_cut_before_searching(chat: ChatHarness) -> None:
    chat.send("đăng ký kết hôn " + "x" * 100_000).expect("Mã thủ tục: 1.000894")
    [query] = chat.knowledge.queries  # type: ignore[attr-defined]
    assert len(query) <= 300


def test_a_number_selects_the_button_offered_last(chat: ChatHarness) -> None:
    chat.send("/start").send("2").expect("Bạn chưa có danh sách giấy tờ nào")
    chat.send("menu").send("7").expect("Chọn ngôn ngữ:")
    chat.send("2.").expect("I will speak English from now on.")


def test_a_number_out_of_range_says_which_numbers_exist_and_keeps_the_list(
    chat: ChatHarness,
) -> None:
    chat.send("/start")
    before = dict(chat.state)
    chat.send("10").expect("Không có lựa chọn số 10. Bạn chọn một số từ 1 đến 9.")
    assert chat.state == before
    chat.send("6").expect("Bạn hãy gõ câu hỏi gửi cán bộ")


def test_a_number_on_a_link_button_gives_the_link(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").send("2").expect(
        "Mở liên kết này: https://dichvucong.gov.vn/thu-tuc-hanh-chinh/1.000894"
    )


@pytest.mark.parametrize(
    "payload",
    [
        "nonsense",
        "cl:have",
        "cl:have:1.001193:0",  # no such checklist
        "cl:have:1.000894:abc",
        "proc:9.999999",
        "lang:fr",
        "rm:x:1.001193",
        "rm:3:1.001193",  # reminder for a checklist never started
        "cl:sum:1.001193",
        "cl:stop:1.001193",
        "cl:redo:1.001193",
        "sub:9.999999",
        "cl:go:" + "9" * 80,
        "proc:1.001193\u00e9",
    ],
)
def test_unknown_or_stale_payloads_get_a_calm_out_of_date_reply(
    chat: ChatHarness, payload: str
) -> None:
    chat.send("/start")
    checklists_before = chat.state.get("checklists")
    chat.payload(payload).expect("Nút này đã cũ").expect_has_buttons("Hỏi về thủ tục")
    assert chat.state.get("checklists") == checklists_before
    assert chat.effects == ()


def test_a_state_from_another_version_is_reset_kindly_keeping_the_language() -> None:
    chat = ChatHarness(state={"v": 0, "step": "old:thing", "locale": "en", "whatever": [1]})
    chat.send("/start").expect("I have been updated, so we start again", "Hello!")
    assert chat.state["v"] == 1 and "whatever" not in chat.state
    unversioned = ChatHarness(state={"stage": "x"})
    unversioned.send("cccd").expect("Tôi vừa được cập nhật", "Mã thủ tục: 1.014063")


def test_a_damaged_checklist_in_a_stored_state_is_dropped_not_crashed_on() -> None:
    chat = ChatHarness(
        state={"v": 1, "step": "checklist:item", "checklists": {"1.000894": {"at": "x"}}}
    )
    chat.send("/start").press("Kiểm tra giấy tờ").expect("Bạn chưa có danh sách giấy tờ nào")
    chat.payload("cl:have:1.000894:0").expect("Nút này đã cũ")


def test_the_same_input_gives_the_same_step() -> None:
    first, second = ChatHarness(), ChatHarness()
    for chat in (first, second):
        at_checklist(chat)
        chat.send("nhắc tôi sau 2 ngày")
    assert first.state == second.state and first.replies == second.replies
    assert first.effects == second.effects


@pytest.mark.parametrize(
    ("typed", "answer"),
    [
        ("cảm ơn", "Không có gì!"),
        ("Cam on ban!", "Không có gì!"),
        ("ok", "Vâng."),
        ("OK.", "Vâng."),
        ("tạm biệt", "hẹn gặp lại"),
    ],
)
def test_thanks_and_ok_get_a_short_friendly_reply(
    chat: ChatHarness, typed: str, answer: str
) -> None:
    before = at_checklist(chat)
    chat.send("menu").send(typed).expect(answer).expect_not("chưa tìm thấy")
    assert chat.state["checklists"] == before["checklists"]


@pytest.mark.parametrize("typed", ["cảm ơn", "ok", "Vâng ạ"])
def test_thanks_and_ok_at_a_paper_ask_that_paper_again(chat: ChatHarness, typed: str) -> None:
    """They answer nothing: the paper is asked again with its buttons, not left for "Menu"."""
    before = at_checklist(chat)
    chat.send(typed).expect("Xin bấm một nút, hoặc gõ “có”").expect("Giấy tờ 2/")
    chat.press("Có rồi").expect("Giấy tờ 3/")
    assert chat.state["checklists"] != before["checklists"]


@pytest.mark.parametrize("typed", ["chào", "Xin chào", "hello"])
def test_a_greeting_is_greeted(chat: ChatHarness, typed: str) -> None:
    chat.send(typed).expect("Xin chào!").expect_not("chưa tìm thấy")


def test_a_long_paste_says_how_much_was_read(chat: ChatHarness) -> None:
    story = "đăng ký khai sinh cho con tôi " + "vì hôm qua tôi bận " * 100
    chat.send(story).expect(f"tôi đọc {300} ký tự đầu trong số {len(story.strip())} ký tự")
    chat.send("đăng ký khai sinh").expect_not("ký tự đầu")
