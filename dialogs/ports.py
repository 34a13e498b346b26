"""Ports the conversations depend on, declared here and implemented elsewhere.

Dialogs never touch the network: they reach the knowledge base and the clock only through these
protocols, which the composition root (``bot.app``) fills with real implementations and tests
fill with fakes.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from knowledge.model import Procedure
from knowledge.questions import Answer
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

    def answer(self, query: str, locale: str = "vi", limit: int = 5) -> Answer:
        """What reply a question gets (``knowledge.questions.route``)."""
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

    def format_moment(self, value: datetime) -> str:
        """``19:00 Thứ Hai, 07/12/2026`` in Vietnamese, in ``value``'s own time zone."""
        ...


MessageHandler = Callable[[IncomingMessage], Awaitable[Sequence[Reply]]]
"""What a channel calls with each incoming message; returns the replies to send back."""


class Progress(Protocol):
    """How far the replies to one message got on their platform, kept with the message.

    One reply may be several platform messages (a long text split, a text and its buttons),
    and a platform may take the first ones and refuse a later one (a 5xx, a 429 past the
    adapter's waits). The replies are then sent again later, and only the messages not yet
    accepted may go out, or the citizen reads the first ones twice: so the adapter skips the
    first ``sent`` messages and records each acceptance before it sends the next.
    """

    sent: int
    """Messages of these replies the platform accepted in an earlier attempt."""

    async def accepted(self, count: int) -> None:
        """Record that the platform accepted the first ``count`` messages."""
        ...


Responder = Callable[[IncomingMessage, Sequence[Reply], Progress], Awaitable[None]]
"""How a channel sends the replies to a message it handed to the inbox, the messages already
accepted skipped and each acceptance recorded (``Progress``); raises ``DeliveryError`` when the
platform refuses them (the inbox logs and counts it)."""


class Inbox(Protocol):
    """Where channels hand over what users sent.

    ``accept`` returns only once the message is safe (durably kept, for the database-backed
    inbox), so a channel answers its platform after it; the message is then processed in its
    conversation's order and the replies go to the channel's ``Responder``.
    """

    def subscribe(self, channel: str, respond: Responder) -> None:
        """Send the replies to the messages of ``channel`` through ``respond``."""
        ...

    async def accept(self, message: IncomingMessage) -> bool:
        """Keep a message for processing; False when its (channel, message id) came before."""
        ...

    async def answer(self, message: IncomingMessage, patience: float) -> Sequence[Reply] | None:
        """Accept a message and wait for its replies (a redelivery gets the first replies).

        Returns None when they are not ready within ``patience`` seconds; the message is still
        processed, and its replies recorded, later.
        """
        ...

    async def join(self) -> None:
        """Wait until the messages this process is working on are answered."""
        ...


class Channel(Protocol):
    """A platform adapter, able to send proactive messages (reminders, status, broadcasts)."""

    name: str

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Deliver replies to a user; raises a ``dialogs.errors.DeliveryError`` on failure."""
        ...


@runtime_checkable
class PrecheckedChannel(Protocol):
    """A channel whose ``send`` first asks its store whether the user blocked the bot.

    A broadcast checks a whole batch of recipients in one query before sending, so it sends
    through ``send_prechecked``, which skips that per-message question.
    """

    async def send_prechecked(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """``send`` to a user just checked not to be marked unreachable."""
        ...


@runtime_checkable
class FileSource(Protocol):
    """A channel whose users send files that must be fetched from the platform."""

    async def download(self, attachment: Attachment, limit: int) -> bytes:
        """The file's bytes; ``FileTooBig`` past ``limit`` bytes (before downloading it whole
        when the platform gives its size), ``FileUnavailable`` when it cannot be fetched."""
        ...


class PaperStore(Protocol):
    """Keeps the files citizens send for their dossiers, once their bytes are checked."""

    async def keep(self, ref: ConversationRef, name: str, data: bytes) -> Attachment:
        """Check and keep ``data``: an attachment with ``paper`` set, or ``refused`` set."""
        ...


class SecretStore(Protocol):
    """A small durable key-value store for platform secrets that rotate (Zalo's refresh token).

    A restart must not lose a rotated secret, so implementations persist every ``set``. Every
    worker of a deployment shares the store, so it also settles races between them: ``add``
    keeps the first value written, and ``exclusive`` lets one worker at a time rotate a secret.
    """

    async def add(self, key: str, value: str) -> str:
        """Store ``value`` unless the key already has one; return the value now stored."""
        ...

    def exclusive(self, key: str) -> AbstractAsyncContextManager[None]:
        """Hold ``key`` against every other holder in any worker for the ``async with`` block."""
        ...

    async def get(self, key: str) -> str | None:
        """The stored value, or None when the key was never set."""
        ...

    async def set(self, key: str, value: str) -> None:
        """Store (or replace) the value for a key durably."""
        ...


MAX_PAPER_BYTES = 10 * 1024 * 1024
"""The most one paper (photo or PDF) may weigh: the portal's limit on an attachment."""

PAPER_MAGIC: Mapping[str, bytes] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "application/pdf": b"%PDF-",
}
"""The types the portal takes, each with the first bytes its files start with: a file is
judged by its content, so a program renamed ``.jpg`` is refused."""

DOSSIER_CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")
"""A dossier code as one-stop systems print it on receipts, e.g. ``000.00.20.H39-261124-0007``."""


@dataclass(frozen=True, slots=True)
class PortalFee:
    """What a dossier costs, in đồng, and where to pay it online when the portal takes payment."""

    amount: int
    currency: str = "VND"
    payment_url: str | None = None
    paid: bool = False


@dataclass(frozen=True, slots=True)
class PortalChange:
    """One entry of a dossier's history: the status it entered, when, and the officer's note."""

    status: str
    at: datetime
    note: str = ""


@dataclass(frozen=True, slots=True)
class PortalDossier:
    """A dossier as the portal reports it (receipt, lookup, or polling)."""

    code: str
    status: str
    label: str
    procedure_code: str
    due_date: date | None
    overdue: bool
    fee: PortalFee
    delivery: str  # "pickup" or "post"
    updated_at: datetime
    history: tuple[PortalChange, ...] = field(default=())
    extended_due_date: date | None = None
    """The new date the desk gave a late dossier (its apology slip), if it gave one."""
    delay_reason: str = ""

    @property
    def note(self) -> str:
        """The officer's note on the latest change, if any."""
        return self.history[-1].note if self.history else ""


class PortalClient(Protocol):
    """The public-service portal's dossier API (``integrations/portal/openapi.yaml``).

    Every method raises a ``dialogs.errors.PortalError``: ``PortalUnavailable`` when it is worth
    trying again later, the others when it is not.
    """

    async def create_dossier(
        self, request: Mapping[str, Any], idempotency_key: str
    ) -> PortalDossier:
        """File a dossier; the same key always returns the first answer, never a second one."""
        ...

    async def add_attachment(
        self, code: str, document_name: str, filename: str, content_type: str, data: bytes
    ) -> None:
        """Attach one paper (a photo or PDF) to a filed dossier."""
        ...

    async def get_dossier(self, code: str, id_number: str) -> PortalDossier:
        """A dossier, shown only to whoever knows its applicant's ID number."""
        ...

    async def changed_since(self, since: datetime, limit: int = 100) -> list[PortalDossier]:
        """Dossiers whose status changed at or after ``since``, oldest change first."""
        ...

    async def withdraw(self, code: str) -> PortalDossier:
        """The citizen withdraws an open dossier."""
        ...


class Limit(StrEnum):
    """The rate limits motcua keeps, each counted per key (an address or an identity)."""

    WEB_ADDRESS = "web_address"
    """Web-chat requests from one client address."""
    WEB_IDENTITY = "web_identity"
    """Web-chat messages and uploads from one web-chat identity."""
    WEB_HISTORY = "web_history"
    """Web-chat history reads (the page's polls) by one web-chat identity: counted apart, so
    that a page polling while its citizen taps quickly through a filing uses none of the
    messages' allowance."""
    LINK_ADDRESS = "link_address"
    """Link codes typed from one client address."""
    STAFF_LOGIN = "staff_login"
    """Console sign-in attempts from one client address."""


class RateLimiter(Protocol):
    """Counts requests against limits; shared by every worker when they share a store."""

    async def hit(self, limit: Limit, key: str) -> int:
        """Count one request for ``key``: 0 when allowed, else whole seconds to wait.

        A refused request is not counted, so waiting as told is enough.
        """
        ...


class SendPace(Protocol):
    """How fast a bot may send over all its chats together (Telegram: about 30 messages a
    second by default); shared by every worker when they share a store."""

    async def wait(self) -> None:
        """Return once one more message may be sent now (it is counted as sent)."""
        ...


class UnreachableUsers(Protocol):
    """The users of one channel who blocked the bot or cannot be written to, known to every
    worker, so proactive sends skip them without asking the platform each time."""

    async def add(self, user_id: str) -> None:
        """Remember that ``user_id`` cannot be written to."""
        ...

    async def discard(self, user_id: str) -> None:
        """Forget it (the user wrote again or unblocked the bot)."""
        ...

    async def contains(self, user_id: str) -> bool:
        """Whether ``user_id`` is known to be unreachable."""
        ...


class ButtonPayloads(Protocol):
    """Button payloads a platform cannot carry, kept under the short token sent instead, so a
    button tapped hours later, on any worker, still means what it said."""

    async def keep(self, token: str, payload: str) -> None:
        """Store ``payload`` under ``token``; storing the same pair again changes nothing."""
        ...

    async def find(self, token: str) -> str | None:
        """The payload kept under ``token``, or None when there is none."""
        ...
