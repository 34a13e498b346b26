"""Ports the conversations depend on, declared here and implemented elsewhere.

Dialogs never touch the network: they reach the knowledge base and the clock only through these
protocols, which the composition root (``bot.app``) fills with real implementations and tests
fill with fakes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Protocol

from dialogs.messages import ConversationRef, IncomingMessage, Reply
from knowledge.model import Procedure
from knowledge.results import SearchResult


class ProcedureSearch(Protocol):
    """Finds procedures the way citizens ask for them."""

    def search(self, query: str, locale: str = "vi", limit: int = 5) -> SearchResult:
        """Rank procedures for a query; ``match`` is None when nothing fits."""
        ...


class KnowledgeBase(ProcedureSearch, Protocol):
    """The procedure knowledge base: lookup by national code, plus search."""

    def get(self, code: str) -> Procedure | None:
        """The procedure with this national code, or None."""
        ...


class Clock(Protocol):
    """The current time, injectable so reminders and dates are testable."""

    def now(self) -> datetime:
        """An aware datetime."""
        ...


class Translator(Protocol):
    """User-facing strings and locale formatting for one locale (backed by Babel catalogs)."""

    locale: str

    def gettext(self, message: str) -> str:
        """Translate a message id."""
        ...

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        """Translate with a plural form."""
        ...

    def format_date(self, value: datetime) -> str:
        """``24/11/2026`` in Vietnamese."""
        ...

    def format_money(self, amount: int) -> str:
        """``50.000 ₫`` in Vietnamese."""
        ...


MessageHandler = Callable[[IncomingMessage], Awaitable[Sequence[Reply]]]
"""What a channel calls with each incoming message; returns the replies to send back."""


class Channel(Protocol):
    """A platform adapter, able to send proactive messages (reminders, status, broadcasts)."""

    name: str

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Deliver replies to a user; raises a ``dialogs.errors.DeliveryError`` on failure."""
        ...


class SecretStore(Protocol):
    """A small durable key-value store for platform secrets that rotate (Zalo's refresh token).

    A restart must not lose a rotated secret, so implementations persist every ``set``.
    """

    async def get(self, key: str) -> str | None:
        """The stored value, or None when the key was never set."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store (or replace) the value for a key durably."""
        ...
