"""An announcement as each app will show it, for staff to check before sending.

The text is cut by ``integrations.render`` with each platform's own limits, the same rules the
channels send with, so a preview split in two means citizens get two messages. The link
follows the text (every app makes it tappable); the picture comes first, on Telegram as the
picture's caption when the text fits one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dialogs.messages import Reply
from integrations.messenger.format import QUICK_REPLY_CAPS as MESSENGER
from integrations.render import Capabilities, render
from integrations.telegram.convert import CAPABILITIES as TELEGRAM
from integrations.zalo.channel import CAPABILITIES as ZALO

TELEGRAM_CAPTION = 1024
"""Telegram's longest picture caption (UTF-16 units); a longer text follows the picture."""

WEB = Capabilities(max_text=4000, max_buttons=10, max_label=100, max_payload_bytes=64)
"""The web chat shows one bubble per message; it cuts nothing the others would not."""


@dataclass(frozen=True, slots=True)
class PreviewMessage:
    """One message a citizen receives: a picture note and/or text."""

    text: str
    picture: str = ""


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    """An app's name, the messages it shows in order, and a note on how (or "")."""

    name: str
    messages: tuple[PreviewMessage, ...]
    note: str = ""


def announcement_text(text: str, link: str | None) -> str:
    """The text citizens read: the announcement, then its link on a line of its own."""
    return f"{text}\n\n{link}" if link else text


def of(
    text: str, link: str | None, image_type: str | None, _: Callable[[str], str]
) -> list[ChannelPreview]:
    """How Telegram, Zalo, Messenger and the web chat show the announcement."""
    body = announcement_text(text, link)
    picture = _("[the picture]") if image_type else ""
    shown = []
    for name, caps in (
        (_("Telegram"), TELEGRAM),
        ("Zalo", ZALO),
        ("Messenger", MESSENGER),
        (_("Web chat"), WEB),
    ):
        parts = [m.text for m in render([Reply(body)], caps)]
        messages = [PreviewMessage(part) for part in parts]
        captioned = caps is TELEGRAM and len(parts) == 1 and _fits_caption(parts[0])
        if picture and captioned:
            messages = [PreviewMessage(parts[0], picture)]
        elif picture:
            messages.insert(0, PreviewMessage("", picture))
        note = ""
        if len(parts) > 1:
            note = _("The text is longer than one message allows here: it arrives in {n} parts.")
            note = note.format(n=len(parts))
        shown.append(ChannelPreview(name, tuple(messages), note))
    return shown


def _fits_caption(text: str) -> bool:
    return len(text.encode("utf-16-le")) // 2 <= TELEGRAM_CAPTION
