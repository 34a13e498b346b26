"""Transcripts: the document checklist, case groups, progress, summary, pause, resume, reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from chat_harness import ChatHarness
from dialog_fakes import BIRTH, FakeKnowledgeBase

from dialogs.step import ScheduleReminder
from knowledge.model import Document, DocumentGroup

ITEM = ("Có rồi", "Chưa có", "Không phải trường hợp của tôi", "Giấy này là gì?", "Tạm dừng")


def start_birth_checklist(chat: ChatHarness) -> ChatHarness:
    """The birth checklist for a citizen whose case is the proxy one (2 + 1 papers)."""
    chat.send("dang ky khai sinh").press("Đăng ký khai sinh").press("Xem giấy tờ cần chuẩn bị")
    return chat.press("Ủy quyền thực hiện việc đăng ký khai…")


def test_the_case_is_asked_first_and_only_its_papers_follow(chat: ChatHarness) -> None:
    chat.send("dang ky khai sinh").press("Đăng ký khai sinh").press("Xem giấy tờ cần chuẩn bị")
    chat.expect("Giấy tờ cần nộp tùy trường hợp của bạn. Bạn thuộc trường hợp nào?")
    # In the citizen's words, the usual case first.
    chat.expect_buttons(
        "Thông thường, không thuộc trường hợp nào",
        "Trẻ em sinh ra do mang thai hộ",
        "Ủy quyền thực hiện việc đăng ký khai…",
        "Menu",
    )
    assert chat.step == "checklist:case"
    chat.press("Ủy quyền thực hiện việc đăng ký khai…").expect("Giấy tờ 1/3:")
    chat.expect("Tờ khai đăng ký khai sinh", "1 bản chính").expect_buttons(*ITEM)
    assert chat.step == "checklist:item"
    chat.press("Có rồi").expect("Giấy tờ 2/3:", "Giấy chứng sinh")
    chat.press("Chưa có").expect("Giấy tờ 3/3:", "Văn bản ủy quyền (được chứng thực)", "1 bản sao")
    chat.press("Chưa có")
    assert chat.step == "checklist:summary"
    chat.expect(
        "Giấy tờ cho: Thủ tục đăng ký khai sinh",
        "Trường hợp của bạn: Ủy quyền thực hiện việc đăng ký khai sinh",
        "Đã có: 1. Còn thiếu: 2. Không phải trường hợp của bạn: 0.",
        "1. Giấy chứng sinh",
        "2. Văn bản ủy quyền (được chứng thực)",
        "Bản sao có chứng thực làm tại Ủy ban nhân dân xã/phường",
    )
    chat.expect_not("mang thai hộ")
    chat.expect_buttons(
        "Nhắc tôi ngày mai",
        "3 ngày nữa",
        "Nộp trực tuyến",
        "Làm lại từ đầu",
        "Menu",
        "👍 Có ích",
        "👎 Chưa có ích",
    )


def test_the_usual_case_gets_only_the_papers_everyone_brings(chat: ChatHarness) -> None:
    chat.send("dang ky khai sinh").press("Đăng ký khai sinh").press("Xem giấy tờ cần chuẩn bị")
    chat.press("Thông thường, không thuộc trường hợp nào").expect("Giấy tờ 1/2:")
    chat.press("Có rồi").press("Có rồi").expect("Bạn đã có đủ giấy tờ cần thiết")
    chat.expect_not("ủy quyền", "mang thai hộ")


def test_a_case_button_pressed_again_is_out_of_date(chat: ChatHarness) -> None:
    start_birth_checklist(chat).press("Có rồi")
    chat.payload("cl:case:1.001193:u").expect("cũ")
    chat.send("menu").press("Kiểm tra giấy tờ").press("Đăng ký khai sinh (xong 1/3)")
    chat.expect("Giấy tờ 2/3:")


def test_what_is_this_explains_the_form_and_keeps_the_place(chat: ChatHarness) -> None:
    start_birth_checklist(chat).press("Giấy này là gì?")
    chat.expect(
        "Số lượng: 1 bản chính",
        "Mẫu: Tờ khai đăng ký khai sinh. Xin mẫu tại bộ phận một cửa",
        "cán bộ bộ phận một cửa",
    )
    chat.expect_buttons(*ITEM)
    chat.press("Có rồi").expect("Giấy tờ 2/3:")


def test_all_documents_in_hand(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").press("Xem giấy tờ cần chuẩn bị")
    chat.press("Có rồi").press("Có rồi").press("Không phải trường hợp của tôi")
    chat.expect("Đã có: 2. Còn thiếu: 0. Không phải trường hợp của bạn: 1.")
    chat.expect("Bạn đã có đủ giấy tờ cần thiết")
    chat.expect_buttons("Nộp trực tuyến", "Làm lại từ đầu", "Menu", "👍 Có ích", "👎 Chưa có ích")
    chat.press("Làm lại từ đầu").expect("Giấy tờ 1/3:")


def test_resume_days_later_exactly_where_they_left_off(chat: ChatHarness) -> None:
    start_birth_checklist(chat).press("Có rồi").press("Tạm dừng")
    chat.expect("Đã lưu: đã xem xong 1/3 giấy tờ.").expect_has_buttons(
        "Nhắc tôi ngày mai", "3 ngày nữa", "Làm tiếp"
    )
    chat.send("cccd")  # something else in between
    chat.clock.advance(days=5)
    chat.send("/start").press("Kiểm tra giấy tờ").expect("Các danh sách giấy tờ đang làm dở")
    chat.expect_buttons("Đăng ký khai sinh (xong 1/3)", "Menu")
    chat.press("Đăng ký khai sinh (xong 1/3)").expect("Chào mừng bạn quay lại!", "Giấy tờ 2/3:")


def test_progress_counts_documents_checked_and_resuming_shows_the_next_one(
    chat: ChatHarness,
) -> None:
    """After one answer everything says "1/3 checked" and "Continue" shows document 2/4."""
    start_birth_checklist(chat).press("Có rồi").press("Tạm dừng")
    chat.expect("đã xem xong 1/3 giấy tờ").expect_not("2/3")
    chat.press("Nhắc tôi ngày mai").press("Làm tiếp ngay").expect("Giấy tờ 2/3:")
    chat.press("Tạm dừng").press("Xem giấy tờ còn thiếu").expect("Đã xem xong: 1/3.")
    chat.press("Làm tiếp").expect("Giấy tờ 2/3:")
    chat.clock.advance(days=1)
    chat.deliver_reminders().expect("(đã xem xong 1/3)").press("Làm tiếp")
    chat.expect("Giấy tờ 2/3:", "Giấy chứng sinh")


def test_my_documents_lists_the_most_recent_first_and_says_when_there_is_none(
    chat: ChatHarness,
) -> None:
    chat.send("/start").press("Kiểm tra giấy tờ").expect("Bạn chưa có danh sách giấy tờ nào")
    chat.expect_buttons("Hỏi về thủ tục", "Menu")
    start_birth_checklist(chat)
    chat.clock.advance(hours=1)
    chat.send("ket hon").press("Xem giấy tờ cần chuẩn bị").press("Có rồi")
    chat.send("menu").press("Kiểm tra giấy tờ")
    chat.expect_buttons("Đăng ký kết hôn (xong 1/3)", "Đăng ký khai sinh (xong 0/3)", "Menu")
    chat.send("2").expect("Giấy tờ 1/3:")


def test_reminder_buttons_schedule_a_morning_reminder_that_resumes(chat: ChatHarness) -> None:
    start_birth_checklist(chat).press("Có rồi").press("Tạm dừng").press("3 ngày nữa")
    chat.expect("Được, tôi sẽ nhắc bạn lúc 08:00 Thứ Sáu, 27/11/2026.")
    [effect] = chat.effects
    assert effect == ScheduleReminder(
        due_at=datetime(2026, 11, 27, 1, 0, tzinfo=UTC), payload="rem:1.001193"
    )
    assert chat.step == "checklist:paused"
    chat.send("ket hon")  # the citizen talks about something else meanwhile
    chat.clock.advance(days=3)
    chat.deliver_reminders()
    chat.expect(
        "Nhắc việc: bạn đang chuẩn bị giấy tờ cho Thủ tục đăng ký khai sinh (đã xem xong 1/3)."
    )
    chat.expect_buttons("Làm tiếp", "Menu")
    assert chat.step == "qa:answer"  # a reminder does not move the conversation
    chat.press("Làm tiếp").expect("Giấy tờ 2/3:", "Giấy chứng sinh")


def test_reminder_in_words_vietnamese_and_english() -> None:
    chat = ChatHarness()
    start_birth_checklist(chat).send("nhắc tôi sau 3 ngày").expect("08:00 Thứ Sáu, 27/11/2026")
    chat.send("nhac toi ngay mai").expect("08:00 Thứ Tư, 25/11/2026")
    english = ChatHarness(locale="en")
    english.send("birth").send("1")
    english.press("See the document checklist").send("remind me in 2 days")
    english.expect("I will remind you at 08:00, Thursday 26 Nov 2026.")
    assert [e.payload for e in english.scheduled] == ["rem:1.001193"]


def test_reminder_limits_and_nothing_to_remind(chat: ChatHarness) -> None:
    chat.send("nhắc tôi sau 3 ngày").expect("Chưa có việc gì để nhắc")
    assert chat.effects == ()
    start_birth_checklist(chat).send("nhắc tôi sau 365 ngày").expect("hơn 60 ngày nữa")
    assert chat.effects == ()
    chat.send("nhắc tôi nhé").expect("Bạn muốn tôi nhắc khi nào?")
    chat.expect_buttons("Nhắc tôi ngày mai", "3 ngày nữa", "Menu")
    assert chat.effects == ()
    chat.send("nhac toi sau 1 tuan").expect("08:00 Thứ Ba, 01/12/2026")


def test_reminder_for_a_finished_checklist_points_to_what_is_missing(chat: ChatHarness) -> None:
    chat.send("ket hon").press("Xem giấy tờ cần chuẩn bị")
    chat.press("Chưa có").press("Có rồi").press("Có rồi").press("Nhắc tôi ngày mai")
    chat.expect("25/11/2026")
    chat.clock.advance(days=1)
    chat.deliver_reminders().expect("Nhắc việc: Thủ tục đăng ký kết hôn. Bạn còn thiếu 1 giấy tờ.")
    chat.press("Xem giấy tờ còn thiếu").expect("1. Tờ khai đăng ký kết hôn")


def test_reminder_for_a_procedure_that_disappeared_is_calm() -> None:
    knowledge = FakeKnowledgeBase()
    chat = ChatHarness(knowledge=knowledge)
    start_birth_checklist(chat).press("Tạm dừng").press("Nhắc tôi ngày mai")
    del knowledge.procedures[BIRTH.code]
    chat.clock.advance(days=1)
    chat.deliver_reminders().expect("danh sách giấy tờ bạn hẹn không còn nữa").expect_buttons(
        "Menu"
    )


def test_an_old_checklist_button_pressed_again_is_out_of_date(chat: ChatHarness) -> None:
    start_birth_checklist(chat)
    old_have = chat.buttons[0].payload
    assert old_have is not None
    chat.press("Có rồi").expect("Giấy tờ 2/3:")
    before = chat.state["checklists"]
    chat.payload(old_have).expect("Nút này đã cũ").expect_has_buttons("Kiểm tra giấy tờ")
    assert chat.state["checklists"] == before


def test_changed_official_list_restarts_the_checklist_kindly() -> None:
    knowledge = FakeKnowledgeBase()
    chat = ChatHarness(knowledge=knowledge)
    start_birth_checklist(chat).press("Có rồi").press("Tạm dừng")
    knowledge.procedures[BIRTH.code] = replace(
        BIRTH, documents=(DocumentGroup("", (Document("Tờ khai mới", originals=1),)),)
    )
    chat.press("Xem giấy tờ còn thiếu").expect(
        "Danh sách giấy tờ chính thức đã thay đổi", "Giấy tờ 1/1:", "Tờ khai mới"
    )


def test_a_procedure_without_documents_says_so(chat: ChatHarness) -> None:
    chat.send("vneid").expect("Giấy tờ cần nộp: Cổng Dịch vụ công không ghi")
    chat.expect_buttons("Thủ tục khác", "Chưa đúng ý tôi", "Menu")
    chat.payload("cl:go:3.000228").expect("không ghi giấy tờ nào").expect_buttons(
        "Hỏi cán bộ", "Menu"
    )


def test_typing_a_button_label_answers_it(chat: ChatHarness) -> None:
    start_birth_checklist(chat).send("co roi").expect("Giấy tờ 2/3:")
    chat.send("chua co").expect("Giấy tờ 3/3:", "ủy quyền")


def test_portal_remarks_are_not_asked_about_and_papers_to_show_come_last(
    chat: ChatHarness,
) -> None:
    chat.send("xin giay doc than").expect(
        "Giấy tờ cần nộp: 2 loại giấy tờ; xuất trình tại nơi nộp: 1",
        "Ghi chú về lệ phí: Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh",
    )
    chat.press("Xem giấy tờ cần chuẩn bị").expect("Giấy tờ 1/3:", "Tờ khai cấp Giấy xác nhận")
    chat.press("Có rồi").expect("Giấy tờ 2/3:", "a) Thành phần hồ sơ bổ sung", "Giấy chứng tử")
    chat.expect_not("Đây có phải trường hợp")  # a heading, not a case
    chat.press("Không phải trường hợp của tôi")
    chat.expect("Giấy tờ 3/3:", "Hộ chiếu/Thẻ căn cước", "(mang theo để xuất trình, không nộp)")
    chat.press("Có rồi").expect("Đã có: 2. Còn thiếu: 0. Không phải trường hợp của bạn: 1.")
    chat.expect_not("Lưu ý", "không phải nộp bản giấy", "Người tiếp nhận")


def test_only_the_most_recent_checklists_are_kept(chat: ChatHarness) -> None:
    for code in ["1.001193", "2.000528", "1.004884", "1.014063", "1.000894"]:
        chat.clock.advance(minutes=1)
        chat.payload(f"cl:go:{code}")
    assert len(chat.state["checklists"]) == 5
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("dialogs.flows.checklist.MAX_CHECKLISTS", 3)
        chat.clock.advance(minutes=1)
        chat.payload("cl:go:1.004873")
    assert sorted(chat.state["checklists"]) == ["1.000894", "1.004873", "1.014063"]


def test_a_reminder_beyond_the_platform_window_says_it_may_wait_for_the_next_message() -> None:
    held_note = "lời nhắc sẽ đến ngay khi bạn nhắn cho tôi lần tới"
    windows = {"messenger": timedelta(hours=24)}
    messenger = ChatHarness(channel="messenger", messaging_windows=windows)
    start_birth_checklist(messenger).send("nhắc tôi sau 3 ngày")
    messenger.expect("27/11/2026", held_note)
    messenger.send("nhac toi ngay mai").expect("25/11/2026").expect_not(held_note)

    web = ChatHarness(channel="web", messaging_windows=windows)
    start_birth_checklist(web).send("nhắc tôi sau 3 ngày").expect_not(held_note)
