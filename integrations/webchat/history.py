"""What the page shows: the conversation as recorded, read back by sequence number.

The page keeps nothing but an anonymous id. Every message in and out is recorded by whoever
handles it (the dispatcher's message log), so a reload, a dropped phone connection, a second
tab or a reminder that arrived meanwhile all end with the page showing the same conversation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from dialogs.messages import Button, Span

Role = Literal["user", "bot"]


@dataclass(frozen=True, slots=True)
class Entry:
    """One bubble on the page: what the user sent, or one reply with its buttons."""

    seq: int  # increases along one conversation; the page's polling cursor
    role: Role
    text: str
    buttons: tuple[Button, ...] = field(default=())
    strong: tuple[Span, ...] = field(default=())
    """What the reply marked as mattering most; the page shows it bold."""


class History(Protocol):
    """A conversation as recorded, for one channel."""

    async def since(self, user: str, after: int, limit: int) -> list[Entry]:
        """Entries with ``seq`` above ``after``, oldest first; at most the last ``limit``."""
        ...
