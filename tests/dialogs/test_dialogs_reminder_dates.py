"""Reminders in the citizen's words: Vietnamese dates and times (with and without diacritics),
said back as understood, the past refused, and no second reminder for the same moment.

The harness's clock stands at 16:30 on Tuesday 24/11/2026, Vietnam time.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from chat_harness import ChatHarness
from test_dialogs_checklist import start_birth_checklist

from dialogs.dates import VIETNAM, parse_moment

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("nhắc tôi 7 giờ tối mai", datetime(2026, 11, 25, 19, 0)),
        ("nhac toi 7 gio toi mai", datetime(2026, 11, 25, 19, 0)),
        ("nhắc tôi thứ hai tuần sau", datetime(2026, 11, 30, 8, 0)),
        ("nhac toi thu 2 tuan toi", datetime(2026, 11, 30, 8, 0)),
        ("nhắc tôi thứ sáu", datetime(2026, 11, 27, 8, 0)),
        ("nhắc tôi ngày 20/12", datetime(2026, 12, 20, 8, 0)),
        ("nhắc tôi ngày 20 tháng 12 lúc 9h30", datetime(2026, 12, 20, 9, 30)),
        ("nhắc tôi 15/1", datetime(2027, 1, 15, 8, 0)),
        ("nhắc tôi sáng mai", datetime(2026, 11, 25, 8, 0)),
        ("nhắc tôi ngày mai 8 giờ", datetime(2026, 11, 25, 8, 0)),
        ("nhắc tôi chiều mai 3 giờ", datetime(2026, 11, 25, 15, 0)),
        ("nhắc tôi ngày mốt", datetime(2026, 11, 26, 8, 0)),
        ("nhắc tôi sau 3 ngày", datetime(2026, 11, 27, 8, 0)),
        ("nhắc tôi một tuần nữa", datetime(2026, 12, 1, 8, 0)),
        ("nhắc tôi 7 giờ rưỡi tối nay", datetime(2026, 11, 24, 19, 30)),
        ("nhắc tôi lúc 8 giờ", datetime(2026, 11, 25, 8, 0)),  # 08:00 today has passed
        ("nhắc tôi 8 giờ sáng nay", datetime(2026, 11, 24, 8, 0)),  # the past, said as such
        ("remind me tomorrow at 7pm", datetime(2026, 11, 25, 19, 0)),
        ("remind me next friday", datetime(2026, 11, 27, 8, 0)),
    ],
)
def test_dates_and_times_in_the_citizens_words(typed: str, expected: datetime) -> None:
    assert parse_moment(typed, NOW) == expected.replace(tzinfo=VIETNAM)


@pytest.mark.parametrize(
    "typed", ["nhắc tôi", "nhắc tôi việc này", "nhắc tôi 32/12", "nhắc tôi 30/2", "remind me"]
)
def test_no_moment_or_an_impossible_one_is_none(typed: str) -> None:
    assert parse_moment(typed, NOW) is None


def test_the_time_is_said_back_and_scheduled_in_vietnam_time(chat: ChatHarness) -> None:
    start_birth_checklist(chat).send("nhắc tôi 7 giờ tối mai")
    chat.expect("Được, tôi sẽ nhắc bạn lúc 19:00 Thứ Tư, 25/11/2026.")
    assert [r.due_at for r in chat.scheduled] == [datetime(2026, 11, 25, 12, 0, tzinfo=UTC)]
    chat.clock.advance(days=1, hours=3)
    chat.deliver_reminders().expect("Nhắc việc: bạn đang chuẩn bị giấy tờ")


def test_english_mode_says_it_back_in_english() -> None:
    english = ChatHarness(locale="en")
    english.send("birth").send("1").press("See the document checklist")
    english.send("remind me on monday next week").expect("When shall I remind you?")
    english.send("nhắc tôi thứ hai tuần sau")
    english.expect("I will remind you at 08:00, Monday 30 Nov 2026.")


def test_the_past_is_refused_and_nothing_is_scheduled(chat: ChatHarness) -> None:
    start_birth_checklist(chat).send("nhắc tôi 8 giờ sáng nay")
    chat.expect("08:00 Thứ Ba, 24/11/2026 đã qua rồi.")
    chat.send("nhắc tôi ngày 20/11").expect("08:00 Thứ Sáu, 20/11/2026 đã qua rồi.")
    assert chat.scheduled == []
    # The next words are read as the time asked for.
    chat.send("thứ hai tuần sau").expect("Được, tôi sẽ nhắc bạn lúc 08:00 Thứ Hai, 30/11/2026.")
    assert len(chat.scheduled) == 1


def test_a_reminder_already_asked_for_is_not_made_twice(chat: ChatHarness) -> None:
    start_birth_checklist(chat).send("nhắc tôi ngày mai").expect("08:00 Thứ Tư, 25/11/2026")
    chat.send("nhac toi sang mai").expect("Bạn đã có lời nhắc này rồi")
    chat.send("nhắc tôi tuần sau")  # another moment is another reminder
    chat.payload("rm:1:1.001193").expect("Bạn đã có lời nhắc này rồi")  # the button, too
    assert [r.due_at.day for r in chat.scheduled] == [25, 1]
    chat.clock.advance(days=1)
    chat.deliver_reminders()
    # Delivered, it is no longer in the way of a new one for the same hour next time.
    chat.send("nhắc tôi 8 giờ sáng thứ năm").expect("Được, tôi sẽ nhắc bạn lúc 08:00 Thứ Năm")


def test_without_a_time_it_asks_and_reads_the_answer(chat: ChatHarness) -> None:
    start_birth_checklist(chat).send("nhắc tôi nhé").expect("Bạn muốn tôi nhắc khi nào?")
    assert chat.scheduled == []
    chat.send("sáng thứ bảy").expect("08:00 Thứ Bảy, 28/11/2026")
    assert len(chat.scheduled) == 1
    chat.send("ket hon").expect_not("nhắc")  # a question again, not a time
