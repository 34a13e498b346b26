"""The shared renderer degrades replies to each platform's limits without losing anything."""

from __future__ import annotations

import pytest

from dialogs.messages import Button, Reply
from dialogs.pages import split_text, text_length
from integrations.render import Capabilities, RenderedMessage, as_html, render

TELEGRAM = Capabilities(
    max_text=4096, max_buttons=100, max_label=64, max_payload_bytes=64, utf16=True
)
SMALL = Capabilities(max_text=40, max_buttons=3, max_label=10, max_payload_bytes=16)


def test_short_reply_passes_through_unchanged() -> None:
    reply = Reply(
        "Xin chào", (Button("Có", "cl:have"), Button("Web", url="https://dichvucong.gov.vn"))
    )
    assert render([reply], TELEGRAM) == [RenderedMessage("Xin chào", reply.buttons)]


def test_long_text_splits_on_paragraphs_and_keeps_every_word() -> None:
    paragraphs = [f"Đoạn {i}: " + "giấy tờ cần nộp " * 30 for i in range(12)]
    text = "\n\n".join(paragraphs)
    messages = render([Reply(text, (Button("Tiếp", "next"),))], TELEGRAM)
    assert len(messages) > 1
    assert all(0 < text_length(m.text, utf16=True) <= 4096 for m in messages)
    assert all(m.text.startswith("Đoạn") for m in messages)  # cut between paragraphs
    assert " ".join(m.text for m in messages).split() == text.split()
    assert [m.buttons for m in messages[:-1]] == [()] * (len(messages) - 1)
    assert messages[-1].buttons == (Button("Tiếp", "next"),)


def test_sentence_then_word_then_hard_boundaries() -> None:
    assert split_text("Câu một dài. Câu hai dài hơn nữa.", 20) == [
        "Câu một dài.",
        "Câu hai dài hơn nữa.",
    ]
    assert split_text("mot hai ba bon nam sau", 10) == ["mot hai ba", "bon nam", "sau"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]


def test_utf16_counting_keeps_emoji_messages_within_the_limit() -> None:
    chunks = split_text("😀" * 10, 8, utf16=True)
    assert chunks == ["😀" * 4, "😀" * 4, "😀" * 2]
    assert all(text_length(c, utf16=True) <= 8 for c in chunks)


def test_too_many_buttons_become_a_numbered_list_plus_the_buttons_that_fit() -> None:
    buttons = tuple(Button(f"Lựa chọn {i}", f"p:{i}") for i in range(1, 6))
    [message] = render([Reply("Chọn:", buttons)], Capabilities(500, 3, 64, 64))
    assert message.text == "Chọn:\n\n" + "\n".join(f"{i}. Lựa chọn {i}" for i in range(1, 6))
    assert [b.payload for b in message.buttons] == ["p:1", "p:2", "p:3"]


def test_numbered_url_button_shows_its_address() -> None:
    buttons = (Button("A", "a"), Button("B", "b"), Button("Cổng", url="https://dvc.gov.vn"))
    [message] = render([Reply("", buttons)], Capabilities(500, 2, 64, 64))
    assert message.text == "1. A\n2. B\n3. Cổng: https://dvc.gov.vn"


def test_labels_are_truncated_with_an_ellipsis() -> None:
    [message] = render([Reply("Chọn", (Button("Đăng ký khai sinh", "b"),))], SMALL)
    assert message.buttons[0].label == "Đăng ký k…"
    assert len(message.buttons[0].label) == 10


def test_long_payload_goes_through_shorten_and_is_never_cut() -> None:
    long_payload = "proc:" + "1.001193" * 5
    tokens: dict[str, str] = {}

    def shorten(payload: str) -> str:
        return tokens.setdefault(payload, f"t:{len(tokens)}")

    [message] = render([Reply("Chọn", (Button("A", long_payload),))], SMALL, shorten)
    assert message.buttons[0].payload == "t:0"
    assert tokens == {long_payload: "t:0"}
    with pytest.raises(ValueError, match="no shorten"):
        render([Reply("Chọn", (Button("A", long_payload),))], SMALL)
    with pytest.raises(ValueError, match="still too long"):
        render([Reply("Chọn", (Button("A", long_payload),))], SMALL, lambda p: p)


def test_payload_limit_counts_utf8_bytes() -> None:
    caps = Capabilities(100, 3, 10, 8)
    with pytest.raises(ValueError):
        render([Reply("x", (Button("A", "ướướ"),))], caps)  # 4 characters, 10 bytes


def test_empty_replies_vanish_but_button_only_replies_survive() -> None:
    messages = render([Reply("   "), Reply("", (Button("OK", "ok"),))], TELEGRAM)
    assert messages == [RenderedMessage("", (Button("OK", "ok"),))]


def test_split_rejects_a_nonsense_limit() -> None:
    with pytest.raises(ValueError):
        split_text("abc", 0)


def test_marks_follow_the_text_into_each_message_and_are_escaped_as_html() -> None:
    text = "  Tên: A<B & C\n\n" + "x " * 30 + "\n\nLệ phí: 0 đồng"
    fee = text.index("Lệ phí:")
    reply = Reply(text, (), ((2, 6), (fee, fee + 7)))
    messages = render([reply], SMALL)
    assert len(messages) > 2
    marked = [m.text[start:end] for m in messages for start, end in m.strong]
    assert marked == ["Tên:", "Lệ phí:"]
    assert as_html(messages[0]).startswith("<b>Tên:</b> A&lt;B &amp; C")
    assert as_html(messages[-1]).endswith("<b>Lệ phí:</b> 0 đồng")
