"""What the dialogs tell staff: unanswered questions, "Not what I meant", milestones, ratings."""

from __future__ import annotations

from chat_harness import ChatHarness

from dialogs.step import NoteMilestone, NoteQuestion, RateHelp


def test_a_question_nothing_fits_is_noted_with_its_words(chat: ChatHarness) -> None:
    chat.send("con chó nhà tôi bị lạc")
    assert chat.effects == (NoteQuestion("none", None, "con chó nhà tôi bị lạc"),)


def test_an_answered_question_is_counted_without_its_words(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon")
    [note] = chat.effects
    assert isinstance(note, NoteQuestion) and note.outcome == "answered"
    assert note.procedure == chat.state["proc"] and note.text is None


def test_not_what_i_meant_sends_the_question_to_staff(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").press("Chưa đúng ý tôi")
    chat.expect("Câu hỏi của bạn được chuyển tới cán bộ")
    assert chat.effects == (NoteQuestion("not_helpful", chat.state["proc"], "dang ky ket hon"),)
    chat.expect_buttons("Thủ tục khác", "Hỏi cán bộ", "Menu")
    chat.payload("qa:miss").expect("cũ")  # tapped twice: the question was sent once
    assert chat.effects == ()


def test_a_finished_checklist_asks_for_a_rating_and_takes_a_comment(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").press("Xem giấy tờ cần chuẩn bị")
    assert NoteMilestone("checklist_opened", chat.state["proc"]) in chat.effects
    code = chat.state["proc"]
    while chat.step == "checklist:item":
        chat.press("Có rồi")
    assert NoteMilestone("checklist_done", code) in chat.effects
    chat.expect("Thông tin này có giúp ích cho bạn không?")
    chat.press("👍 Có ích").expect("gõ góp ý")
    [rating] = chat.effects
    assert isinstance(rating, RateHelp)
    assert (rating.subject, rating.procedure, rating.good, rating.comment) == (
        "checklist",
        code,
        True,
        None,
    )
    chat.send("Rất dễ hiểu, cảm ơn").expect("cán bộ sẽ đọc")
    assert chat.effects == (RateHelp(rating.key, "checklist", code, True, "Rất dễ hiểu, cảm ơn"),)
    chat.payload("rt:c:1").expect("cũ")  # one rating per prompt
    assert chat.effects == ()


def test_a_rating_without_comment(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").press("Xem giấy tờ cần chuẩn bị")
    while chat.step == "checklist:item":
        chat.press("Chưa có")
    chat.press("👎 Chưa có ích").press("Bỏ qua").expect("Cảm ơn")
    assert chat.effects == () and chat.step == "menu"


def test_a_filed_dossiers_receipt_asks_for_a_rating(chat: ChatHarness) -> None:
    chat.internal("fd:rcpt", {"code": "000.00.20.H39-261124-0001", "procedure": "1.001193"})
    chat.press("👍 Có ích")
    [rating] = chat.effects
    assert isinstance(rating, RateHelp)
    assert (rating.subject, rating.procedure, rating.good) == ("dossier", "1.001193", True)


def test_a_rating_typed_in_a_word_is_kept_as_its_button_would_be(chat: ChatHarness) -> None:
    chat.send("dang ky ket hon").press("Xem giấy tờ cần chuẩn bị")
    while chat.step == "checklist:item":
        chat.press("Có rồi")
    chat.send("không").expect("gõ góp ý")
    [rating] = chat.effects
    assert isinstance(rating, RateHelp) and rating.good is False
