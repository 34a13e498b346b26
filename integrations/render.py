"""Degrade platform-neutral replies to what one platform can show, in one pure function.

Every channel adapter calls :func:`render` with its :class:`Capabilities` and sends the
resulting :class:`RenderedMessage` list as-is, so the rules live in one place:

* text longer than ``max_text`` is split into several messages by ``dialogs.pages.split_text``
  (paragraph, then line, then sentence, then word boundaries);
* a reply with more buttons than ``max_buttons`` gets every option as a numbered list ("1. ...")
  appended to its text (the dialogs accept a bare digit as that button's answer) and keeps as
  many buttons as fit;
* button labels longer than ``max_label`` are shortened with an ellipsis;
* payloads longer than ``max_payload_bytes`` (UTF-8) are handed to the caller's ``shorten``
  function, which maps them to a short token it can resolve later; they are never cut, because
  a cut payload would silently select the wrong thing.

Buttons always travel with the last message of their reply, so they sit under the full text.
A reply's marked spans (``Reply.strong``) follow the text into each message; a platform with
markup shows them with :func:`as_html`, one without it sends the plain text.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from dialogs.messages import Button, Reply, Span
from dialogs.pages import marks_within, split_spans

ELLIPSIS = "…"


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one platform can display in one message.

    Attributes:
        max_text: the longest text of one message.
        max_buttons: how many buttons one message can carry.
        max_label: the longest button label.
        max_payload_bytes: the longest button payload, in UTF-8 bytes.
        utf16: count text length in UTF-16 code units (Telegram does) instead of characters.
    """

    max_text: int
    max_buttons: int
    max_label: int
    max_payload_bytes: int
    utf16: bool = False


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One message ready for a platform: text within its limit and buttons it can show."""

    text: str
    buttons: tuple[Button, ...] = field(default=())
    strong: tuple[Span, ...] = field(default=())


def as_html(message: RenderedMessage) -> str:
    """The text with its marked spans in ``<b>``, everything else escaped.

    Procedure names and what citizens type may hold "<" or "&" ("Giấy phép A&B"), which would
    otherwise break the markup (Telegram refuses the whole message) or inject tags.
    """
    parts: list[str] = []
    last = 0
    for start, end in sorted(message.strong):
        if start < last:  # overlapping marks: the earlier one already covers it
            continue
        parts += [html.escape(message.text[last:start], quote=False), "<b>"]
        parts += [html.escape(message.text[start:end], quote=False), "</b>"]
        last = end
    parts.append(html.escape(message.text[last:], quote=False))
    return "".join(parts)


def render(
    replies: Sequence[Reply],
    caps: Capabilities,
    shorten: Callable[[str], str] | None = None,
) -> list[RenderedMessage]:
    """Turn replies into messages that fit ``caps``.

    Args:
        replies: what the dialogs want to say, in order.
        caps: the platform's limits.
        shorten: maps a payload longer than ``caps.max_payload_bytes`` to a short token the
            adapter can map back when the button is pressed.

    Returns:
        The messages to send, in order. A reply with no text and no buttons yields nothing; a
        reply with buttons but empty text yields a message with empty text, which the adapter
        fills as its platform requires.

    Raises:
        ValueError: a payload is too long and no ``shorten`` was given, or ``shorten`` returned
            a token that is still too long.
    """
    messages: list[RenderedMessage] = []
    for reply in replies:
        text = reply.text.rstrip()
        if len(reply.buttons) > caps.max_buttons:
            text = "\n\n".join(part for part in (text, _numbered(reply.buttons)) if part)
        buttons = tuple(
            _fit_button(button, caps, shorten) for button in reply.buttons[: caps.max_buttons]
        )
        chunks = [
            RenderedMessage(text[start:end], (), marks_within(reply.strong, start, end))
            for start, end in split_spans(text, caps.max_text, utf16=caps.utf16)
        ]
        if not chunks and buttons:
            chunks = [RenderedMessage("")]
        if chunks:
            chunks[-1] = replace(chunks[-1], buttons=buttons)
        messages.extend(chunks)
    return messages


def _numbered(buttons: Sequence[Button]) -> str:
    """The options as "1. label" lines; URL buttons show their address so they stay usable."""
    lines = []
    for number, button in enumerate(buttons, start=1):
        line = f"{number}. {button.label}"
        if button.url and not button.payload:
            line += f": {button.url}"
        lines.append(line)
    return "\n".join(lines)


def _fit_button(button: Button, caps: Capabilities, shorten: Callable[[str], str] | None) -> Button:
    """The button with its label and payload within the platform's limits."""
    label = button.label
    if len(label) > caps.max_label:
        label = label[: max(caps.max_label - 1, 0)].rstrip() + ELLIPSIS
    payload = button.payload
    if payload is not None and len(payload.encode()) > caps.max_payload_bytes:
        if shorten is None:
            raise ValueError(
                f"button payload of {len(payload.encode())} bytes exceeds "
                f"{caps.max_payload_bytes} and no shorten function was given"
            )
        payload = shorten(payload)
        if len(payload.encode()) > caps.max_payload_bytes:
            raise ValueError("shorten returned a payload that is still too long")
    if label == button.label and payload == button.payload:
        return button
    return replace(button, label=label, payload=payload)
