"""Phone-sized answers: no reply is longer than 600 characters; "Xem thêm" continues where the
reply stopped, with the same buttons, and an older "Xem thêm" never continues a newer answer."""

from __future__ import annotations

from datetime import date

from chat_harness import ChatHarness

from bot.i18n import translator
from dialogs.flows import card
from dialogs.pages import PAGE_CHARS
from knowledge.base import LocalKnowledgeBase

RESIDENCE = "1.004194"  # Đăng ký tạm trú: a long fee note


def _more(chat: ChatHarness) -> list[str]:
    return [b.label for b in chat.buttons if (b.payload or "").startswith("more:")]


def test_a_long_card_comes_in_parts_that_continue_where_they_stopped(
    knowledge: LocalKnowledgeBase,
) -> None:
    chat = ChatHarness(knowledge=knowledge)
    chat.payload(f"proc:{RESIDENCE}")
    whole = card.facts(translator("vi"), knowledge.get(RESIDENCE), date(2026, 11, 24))  # type: ignore[arg-type]
    assert len(whole) > PAGE_CHARS
    [first] = chat.replies
    assert len(first.text) <= PAGE_CHARS
    assert first.text.startswith("Đăng ký tạm trú\nNơi thực hiện:")  # the answer first
    card_buttons = [b.label for b in chat.replies[0].buttons][1:]
    assert card_buttons[0] == "Xem giấy tờ cần chuẩn bị" and card_buttons[-1] == "Menu"
    [more] = _more(chat)
    assert more.startswith("Xem thêm (2/")
    assert chat.labels == [more, *card_buttons]

    parts = [first.text]
    while _more(chat):
        chat.press(_more(chat)[0])
        [part] = chat.replies
        assert len(part.text) <= PAGE_CHARS
        assert chat.labels[-len(card_buttons) :] == card_buttons  # the card's buttons stay
        parts.append(part.text)
        assert chat.step == "qa:answer"  # reading on does not move the conversation
    assert " ".join(" ".join(parts).split()) == " ".join(whole.split())
    chat.press("Xem giấy tờ cần chuẩn bị")  # the card's buttons work from its last part
    assert chat.step.startswith("checklist:")


def test_an_older_more_button_does_not_continue_a_newer_answer(
    knowledge: LocalKnowledgeBase,
) -> None:
    chat = ChatHarness(knowledge=knowledge)
    chat.payload(f"proc:{RESIDENCE}")
    old = next(b.payload for b in chat.buttons if (b.payload or "").startswith("more:"))
    chat.payload("proc:1.014063")  # another long card
    chat.payload(old or "").expect("Nút này đã cũ")


def test_the_rest_is_kept_only_until_the_citizen_moves_on(knowledge: LocalKnowledgeBase) -> None:
    chat = ChatHarness(knowledge=knowledge)
    chat.payload(f"proc:{RESIDENCE}")
    old = next(b.payload for b in chat.buttons if (b.payload or "").startswith("more:"))
    assert "more" in chat.state
    chat.payload("m:menu")
    assert "more" not in chat.state  # the state does not carry a long text it no longer needs
    chat.payload(old or "").expect("Nút này đã cũ")


def test_a_fee_in_the_portals_words_is_cut_on_the_card(knowledge: LocalKnowledgeBase) -> None:
    chat = ChatHarness(knowledge=knowledge)
    # Its fee texts come to 52,000 characters over 24 channels; each is cut to 600 on the card.
    chat.payload("proc:1.115778").read_on()
    assert len(chat.text) < 53_954 / 3


def test_channels_that_agree_are_named_once_with_their_value(knowledge: LocalKnowledgeBase) -> None:
    # 1.115778 repeats in person, online and by post for each of its 8 cases: 24 channels whose
    # fee texts are one 2,243-character text 23 times and another once.
    chat = ChatHarness(knowledge=knowledge)
    chat.payload("proc:1.115778").read_on()
    assert len(chat.text) < 2_500  # 16,142 characters when each channel had its own block
    whole = card.facts(translator("vi"), knowledge.get("1.115778"), date(2026, 12, 6))  # type: ignore[arg-type]
    lines = whole.split("\n")
    [time] = [line for line in lines if line.startswith("Thời gian giải quyết:")]
    assert time == (
        "Thời gian giải quyết: 13 ngày làm việc; 17 ngày làm việc; 27 ngày làm việc; "
        "38 ngày làm việc; 8 ngày làm việc; 9 ngày làm việc; 14 ngày làm việc (tùy trường hợp)"
    )
    [fee] = [line for line in lines if line.startswith("Lệ phí:")]
    assert fee.startswith("Lệ phí: trực tiếp, trực tuyến, qua bưu điện: Phí thẩm định:")
    assert fee.count("trực tiếp") == 1 and fee.count("; qua bưu điện: ") == 1  # the odd one out
