"""An announcement as each app will show it, for staff to check before sending.

The text is cut by ``integrations.render`` with each platform's own limits (given by the
composition root), the same rules the channels send by, so a preview split in two means
citizens get two messages. The link follows the text (every app makes it tappable); the
picture comes first, on Telegram as the picture's caption when the text fits one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dialogs.messages import Reply
from dialogs.pages import text_length
from integrations.render import Capabilities, render

TELEGRAM_CAPTION = 1024
"""Telegram's longest picture caption (UTF-16 units); a longer text follows the picture."""


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
    text: str,
    link: str | None,
    image_type: str | None,
    limits: Mapping[str, Capabilities | None],
    names: Mapping[str, str],
    _: Callable[[str], str],
) -> list[ChannelPreview]:
    """How each app in ``limits`` (named by ``names``) shows the announcement."""
    body = announcement_text(text, link)
    picture = _("[the picture]") if image_type else ""
    shown = []
    for channel, caps in limits.items():
        parts = [m.text for m in render([Reply(body)], caps)] if caps else [body]
        messages = [PreviewMessage(part) for part in parts]
        if picture and channel == "telegram" and len(parts) == 1 and _fits_caption(parts[0]):
            messages = [PreviewMessage(parts[0], picture)]
        elif picture:
            messages.insert(0, PreviewMessage("", picture))
        note = ""
        if len(parts) > 1:
            note = _("The text is longer than one message allows here: it arrives in {n} parts.")
            note = note.format(n=len(parts))
        shown.append(ChannelPreview(_(names.get(channel, channel)), tuple(messages), note))
    return shown


def _fits_caption(text: str) -> bool:
    return text_length(text, utf16=True) <= TELEGRAM_CAPTION
