"""An announcement as each app will show it, for staff to check before sending.

The replies are the sender's own; ``integrations.render`` cuts them with each platform's
limits (given by the composition root), the same rules the channels send by, so a preview split
in two means citizens get two messages. The picture comes first, on Telegram as the picture's
caption when the text fits one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from dialogs.messages import Button, Reply
from dialogs.pages import text_length
from integrations.render import Capabilities, RenderedMessage, render

TELEGRAM_CAPTION = 1024
"""Telegram's longest picture caption (UTF-16 units); a longer text follows the picture."""


@dataclass(frozen=True, slots=True)
class PreviewMessage:
    """One message a citizen receives: a picture note, text, and the buttons under it."""

    text: str
    picture: str = ""
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    """An app's name, the messages it shows in order, and a note on how (or "")."""

    name: str
    messages: tuple[PreviewMessage, ...]
    note: str = ""


def of(
    replies: Sequence[Reply],
    has_picture: bool,
    limits: Mapping[str, Capabilities | None],
    names: Mapping[str, str],
    _: Callable[[str], str],
) -> list[ChannelPreview]:
    """How each app in ``limits`` (named by ``names``) shows ``replies`` and the picture."""
    picture = _("[the picture]") if has_picture else ""
    shown = []
    for channel, caps in limits.items():
        parts = (
            render(replies, caps)
            if caps
            else [RenderedMessage(r.text.strip(), r.buttons) for r in replies]
        )
        messages = [
            PreviewMessage(part.text, buttons=tuple(_button(b) for b in part.buttons))
            for part in parts
        ]
        if picture and channel == "telegram" and len(parts) == 1 and _fits_caption(parts[0].text):
            messages = [replace(messages[0], picture=picture)]
        elif picture:
            messages.insert(0, PreviewMessage("", picture))
        note = ""
        if len(parts) > len(replies):
            note = _("The text is longer than one message allows here: it arrives in {n} parts.")
            note = note.format(n=len(parts))
        shown.append(ChannelPreview(_(names.get(channel, channel)), tuple(messages), note))
    return shown


def _button(button: Button) -> str:
    """A button as the preview shows it: its label, and the address a link button opens."""
    return f"{button.label} ({button.url})" if button.url else button.label


def _fits_caption(text: str) -> bool:
    return text_length(text, utf16=True) <= TELEGRAM_CAPTION
