"""An announcement as each app will show it, for staff to check before sending.

The replies are worded as the sender words them; ``integrations.render`` cuts them with each
platform's limits (given by the composition root), the same rules the channels send by, so a
preview split in two means citizens get two messages. The picture and the link are buttons
under the text, opening their addresses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dialogs.messages import Button, Reply
from integrations.render import Capabilities, RenderedMessage, render


@dataclass(frozen=True, slots=True)
class PreviewMessage:
    """One message a citizen receives: its text and the buttons under it."""

    text: str
    buttons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    """An app's name, the messages it shows in order, and a note on how (or "")."""

    name: str
    messages: tuple[PreviewMessage, ...]
    note: str = ""


def of(
    replies: Sequence[Reply],
    limits: Mapping[str, Capabilities | None],
    names: Mapping[str, str],
    _: Callable[[str], str],
) -> list[ChannelPreview]:
    """How each app in ``limits`` (named by ``names``) shows ``replies``."""
    shown = []
    for channel, caps in limits.items():
        parts = (
            render(replies, caps)
            if caps
            else [RenderedMessage(r.text.strip(), r.buttons) for r in replies]
        )
        messages = tuple(
            PreviewMessage(part.text, tuple(_button(b) for b in part.buttons)) for part in parts
        )
        note = ""
        if len(parts) > len(replies):
            note = _("The text is longer than one message allows here: it arrives in {n} parts.")
            note = note.format(n=len(parts))
        shown.append(ChannelPreview(_(names.get(channel, channel)), messages, note))
    return shown


def _button(button: Button) -> str:
    """A button as the preview shows it: its label, and the address a link button opens."""
    return f"{button.label} ({button.url})" if button.url else button.label
