"""The platform-neutral message model every channel translates to and from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Who a conversation is with: the channel name and the platform's id for the user/chat."""

    channel: str  # "web", "terminal", "telegram", "zalo", "messenger"
    user_id: str

    @property
    def key(self) -> str:
        """A stable string key, used for locks and logs."""
        return f"{self.channel}:{self.user_id}"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file or image a user sent: first as the platform announces it, then as kept.

    A channel fills what its platform says (where to fetch it, its size). Before the turn,
    ``bot.papers`` fetches and checks the bytes and sets ``paper`` (the kept copy) or
    ``refused``, so the dialogs decide on what the file is, never on what it claims to be.
    """

    kind: str  # "image" or "file"
    url: str = ""
    name: str = ""
    size: int | None = None
    """The size the platform announced, when it does: a file over the limit is refused
    without being downloaded."""
    file_id: str = ""
    """Telegram's handle for ``getFile`` (other platforms give a URL)."""
    paper: int | None = None
    """The id of the checked copy kept for the citizen's dossier."""
    content_type: str = ""
    """The kept copy's type, read from its first bytes."""
    refused: str = ""
    """Why it was not kept: ``"too_big"``, ``"wrong_type"`` or ``"unreadable"``."""


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One thing a user did: typed text, tapped a button (payload), or sent a file."""

    ref: ConversationRef
    text: str | None = None
    payload: str | None = None
    attachment: Attachment | None = None
    locale: str | None = None  # the platform's language code, if it gives one
    locale_chosen: bool = False
    """The user picked ``locale`` themselves (the web page's language button), so it wins over
    a language chosen earlier in the chat; a platform's code is only a guess, and does not."""
    message_id: str | None = None  # the platform's id, for deduplication
    received_at: datetime | None = None
    address: str | None = None
    """The client's network address, where the channel knows it (the web chat); platforms'
    webhooks come from the platform, not the citizen, so they leave it unset."""
    internal: bool = False
    """Raised by motcua itself within a turn (a link code's outcome); no channel ever sets it,
    so a user cannot pass off a payload as one."""
    facts: Mapping[str, Any] | None = None
    """What motcua learned outside the conversation for an internal message (a portal's
    receipt, a dossier's new status); plain JSON values."""

    def follow_up(self, payload: str, facts: Mapping[str, Any] | None = None) -> IncomingMessage:
        """The internal message that tells the dialogs what a side effect of this one found
        (a link code's outcome, a queued handoff), in the same conversation and language."""
        return IncomingMessage(
            self.ref,
            payload=payload,
            locale=self.locale,
            received_at=self.received_at,
            internal=True,
            facts=facts,
        )


@dataclass(frozen=True, slots=True)
class Button:
    """A button: tapping it sends ``payload`` back; a URL button opens ``url`` instead."""

    label: str
    payload: str | None = None
    url: str | None = None


Span = tuple[int, int]
"""Characters ``start`` to ``end`` (excluded) of a reply's text."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to the user: text and, optionally, buttons under it.

    ``strong`` marks what matters most (a card's headings and key facts) as spans of the plain
    text, so the text itself stays free of any markup: each channel shows the spans its own way
    (bold on Telegram and the web chat) or not at all (Messenger and Zalo have no markup).
    """

    text: str
    buttons: tuple[Button, ...] = field(default=())
    strong: tuple[Span, ...] = field(default=())
