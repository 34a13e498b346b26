"""motcua's side of the portal: the connection (remote, or the sandbox in-process) and the
``/webhooks/portal`` receiver.

A verified event is kept in the durable inbox (``bot.inbox``) before the portal gets its 200,
like a chat platform's message, as one of the dossier's "messages": a crash after the 200 loses
nothing, a replayed event id is recognised there, and one dossier's events are applied in the
order they came. :class:`PortalEvents` applies them in the transaction that keeps them, and is
the inbox's turn for those kept to be applied later.

With ``MOTCUA_PORTAL_URL`` unset, ``motcua serve`` runs the sandbox portal in its own process,
listening on localhost (``MOTCUA_PORTAL_SANDBOX_PORT``), so a fresh machine can file dossiers and
an officer can move them with ``motcua portal-sandbox move``. A sandbox whose port was taken
listens on another one; the address it got is kept in the data directory while it runs, which is
where ``move`` finds it.
"""

from __future__ import annotations

import json
import logging
import math
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from bot.batches import together_or_alone
from bot.config import Settings
from bot.inbox import MarkDone
from bot.storage.database import Database
from dialogs.messages import ConversationRef, IncomingMessage
from dialogs.ports import Clock, Inbox, KnowledgeBase
from integrations.portal import HttpPortalClient
from integrations.portal.contract import (
    LABELS,
    SIGNATURE_HEADER,
    STATUS_CHANGED,
    TIMESTAMP_HEADER,
    signature_valid,
    timestamp_fresh,
)
from integrations.portal.sandbox import ProcedureTerms, SandboxPortal, Terms
from knowledge.model import ChannelKind, Duration

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/portal"
EVENTS_CHANNEL = "portal"
"""The inbox's channel for portal events: each dossier code is a conversation, each event id a
message id."""

SANDBOX_FILE = "portal-sandbox.sqlite3"
SANDBOX_ADDRESS_FILE = "portal-sandbox.url"
"""Where a running sandbox keeps its address, in the data directory beside its file."""
UNSTATED_WORKING_DAYS = 10
"""The sandbox's processing time for a procedure whose time the portal does not state."""

MAX_WEBHOOK_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class PortalEvent:
    """A verified status change from the portal."""

    event_id: str
    code: str
    status: str
    note: str
    occurred_at: str


_EVENT_FIELDS = tuple(field.name for field in fields(PortalEvent))

EventHandler = Callable[[AsyncSession, Sequence[PortalEvent]], Awaitable[bool]]
"""What verified, first-seen events change, inside the transaction that claims their ids;
True when something was queued for delivery."""


@dataclass(frozen=True, slots=True)
class PortalLink:
    """The portal as motcua reaches it: the client, and the sandbox when it runs in-process."""

    client: HttpPortalClient
    webhook_secret: str
    sandbox: SandboxPortal | None = None

    @property
    def url(self) -> str:
        """The portal's base URL."""
        return self.client.base_url


def procedure_terms(knowledge: KnowledgeBase) -> Terms:
    """The sandbox's view of the knowledge base: each procedure's name, time and online fee."""

    def terms(code: str) -> ProcedureTerms | None:
        procedure = knowledge.get(code)
        if procedure is None:
            return None
        online = [c for c in procedure.channels if c.kind is ChannelKind.ONLINE]
        channels = online or list(procedure.channels)
        channel = channels[0] if channels else None
        fee = channel.fee.amount if channel and channel.fee and channel.fee.amount else 0
        days = working_days(channel.time) if channel and channel.time else UNSTATED_WORKING_DAYS
        return ProcedureTerms(procedure.name, days, fee)

    return terms


def working_days(duration: Duration) -> int:
    """A processing time in whole working days (a bare number counts as working days)."""
    if duration.value is None:
        return UNSTATED_WORKING_DAYS
    per_unit = {"hours": 1 / 8, "months": 22, "years": 250}.get(duration.unit or "", 1)
    return max(1, math.ceil(duration.value * per_unit))


@asynccontextmanager
async def connect_portal(
    settings: Settings, knowledge: KnowledgeBase, clock: Clock
) -> AsyncIterator[PortalLink]:
    """The configured portal, or the sandbox started in-process when none is configured."""
    if settings.portal_url:
        if not settings.portal_api_key or not settings.portal_webhook_secret:
            raise ValueError(
                "MOTCUA_PORTAL_URL needs MOTCUA_PORTAL_API_KEY and MOTCUA_PORTAL_WEBHOOK_SECRET"
            )
        async with HttpPortalClient(settings.portal_url, settings.portal_api_key) as client:
            yield PortalLink(client, settings.portal_webhook_secret)
        return
    sandbox = SandboxPortal(
        settings.data_dir / SANDBOX_FILE,
        procedure_terms(knowledge),
        public_url="http://127.0.0.1",
        api_key=settings.portal_api_key,
        webhook_secret=settings.portal_webhook_secret,
        now=clock.now,
    )
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(sandbox)
        port = settings.portal_sandbox_port
        url = await stack.enter_async_context(
            serving_sandbox(sandbox, "127.0.0.1", port, data_dir=settings.data_dir)
        )
        client = await stack.enter_async_context(HttpPortalClient(url, sandbox.api_key))
        yield PortalLink(client, sandbox.webhook_secret, sandbox)


@asynccontextmanager
async def serving_sandbox(
    sandbox: SandboxPortal,
    host: str,
    port: int,
    *,
    fallback: bool = True,
    data_dir: Path | None = None,
) -> AsyncIterator[str]:
    """Serve the sandbox on ``host:port``; its URL.

    With ``fallback`` a taken port is no failure: a second motcua process on the same machine
    (``motcua chat`` beside ``motcua serve``) gets its sandbox on any free port. With
    ``data_dir`` the URL is kept there while it serves, for ``motcua portal-sandbox move``.
    """
    runner = web.AppRunner(sandbox.application(), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        try:
            listening = socket.create_server((host, port))
        except OSError:
            if not fallback:
                raise
            logger.warning("port %d is taken: the sandbox portal listens on a free port", port)
            listening = socket.create_server((host, 0))
        # A socket of its own, closed when it cannot listen: asyncio's own server leaves the
        # socket open when listen() fails after bind() succeeded (another server holds the
        # port with SO_REUSEADDR).
        await web.SockSite(runner, listening).start()
        address = runner.addresses[0]
        sandbox.public_url = f"http://{address[0]}:{address[1]}"
        logger.info("sandbox portal listening on %s", sandbox.public_url)
        if data_dir is None:
            yield sandbox.public_url
        else:
            with _address_kept(data_dir / SANDBOX_ADDRESS_FILE, sandbox.public_url):
                yield sandbox.public_url
    finally:
        await runner.cleanup()


@contextmanager
def _address_kept(path: Path, url: str) -> Iterator[None]:
    """Keep ``url`` in ``path`` while the block runs; then put back the address it replaced
    (``motcua chat`` run beside ``motcua serve`` must leave the server's sandbox findable), or
    remove it, unless another sandbox started since has put its own there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    before = running_sandbox_url(path.parent)
    _write_address(path, url)
    try:
        yield
    finally:
        if running_sandbox_url(path.parent) == url:
            if before is None or before == url:
                path.unlink(missing_ok=True)
            else:
                _write_address(path, before)


def _write_address(path: Path, url: str) -> None:
    """Replace ``path`` with ``url`` at once: a reader sees the old address or the new one."""
    written = path.with_name(f"{path.name}.{os.getpid()}")
    written.write_text(url + "\n", encoding="utf-8")
    written.replace(path)


def running_sandbox_url(data_dir: Path) -> str | None:
    """The address of the sandbox serving from ``data_dir``, when one is running."""
    try:
        kept = (data_dir / SANDBOX_ADDRESS_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return kept or None


class PortalWebhook:
    """``POST /webhooks/portal``: verify, refuse stale or malformed events, keep the rest."""

    def __init__(self, inbox: Inbox, clock: Clock, secret: str) -> None:
        """Wire the receiver; events are kept in ``inbox`` and applied by :class:`PortalEvents`."""
        self._inbox = inbox
        self._clock = clock
        self._secret = secret

    def routes(self) -> list[web.RouteDef]:
        """The receiver's route."""
        return [web.post(WEBHOOK_PATH, self.receive)]

    async def receive(self, request: web.Request) -> web.Response:
        """Answer 2xx only for an event that is authentic, fresh and (now) durably kept."""
        body = await request.content.read(MAX_WEBHOOK_BYTES + 1)
        if len(body) > MAX_WEBHOOK_BYTES:
            return _refuse(413, "too large")
        stamp = request.headers.get(TIMESTAMP_HEADER, "")
        if not signature_valid(self._secret, stamp, body, request.headers.get(SIGNATURE_HEADER)):
            logger.warning("portal webhook refused: bad signature")
            return _refuse(401, "bad signature")
        if not timestamp_fresh(stamp, self._clock.now().timestamp()):
            logger.warning("portal webhook refused: stale timestamp")
            return _refuse(400, "stale timestamp")
        event = _event(body)
        if event is None:
            logger.warning("portal webhook refused: malformed event")
            return _refuse(400, "malformed event")
        if not await self._inbox.accept(event_message(event, self._clock)):
            logger.info("portal webhook: event already kept")
            return web.json_response({"status": "duplicate"})
        return web.json_response({"status": "ok"})


class PortalEvents:
    """Portal events applied as they are received (``on_receipt``), in the transaction that
    keeps them, or later by the inbox's batch turn (``apply_all``): each is applied in the
    transaction that marks it done, so it is applied once even when a worker dies in between.

    A burst of events (an officer moving a thousand dossiers) is applied several at a time, in
    one transaction: on SQLite every transaction waits for the one writer, so one commit per
    event would queue the last citizen's notice behind a thousand others. Should the batch
    fail (one event the database refuses, or one row another worker took over), nothing of it
    is kept and its events are applied again one by one, so that one bad event holds back
    nothing but itself.
    """

    def __init__(
        self, database: Database, apply: EventHandler, after: Callable[[], None] | None = None
    ) -> None:
        """Wire the turn.

        Args:
            apply: acts on an event within the transaction that marks it done.
            after: called once such a transaction has committed with something queued.
        """
        self._database = database
        self._apply = apply
        self._after = after

    async def apply_all(
        self, messages: Sequence[IncomingMessage], mark_done: MarkDone
    ) -> list[bool]:
        """Apply the events these inbox rows carry; which ones were (``BatchTurn``)."""

        async def together(batch: Sequence[IncomingMessage]) -> list[bool]:
            return await self._apply_together(batch, mark_done)

        async def alone(message: IncomingMessage) -> bool:
            return (await self._apply_together([message], mark_done))[0]

        applied = []
        for outcome in await together_or_alone(messages, together, alone, "portal events applied"):
            if isinstance(outcome, Exception):
                logger.error("portal event not applied: left to be tried again", exc_info=outcome)
            applied.append(outcome is True)
        return applied

    async def on_receipt(
        self, session: AsyncSession, messages: Sequence[IncomingMessage]
    ) -> Callable[[], None]:
        """Apply the events just received in the transaction that keeps them (``ReceiptTurn``):
        their notices are queued by the time the portal hears the 200; what to call once
        that transaction has committed."""
        events = [event for message in messages if (event := _kept_event(message)) is not None]
        queued = await self._apply(session, events)
        return self._after if queued and self._after is not None else _nothing

    async def _apply_together(
        self, messages: Sequence[IncomingMessage], mark_done: MarkDone
    ) -> list[bool]:
        """Apply the events in one transaction, their rows marked done in it."""
        events = [event for message in messages if (event := _kept_event(message)) is not None]
        async with self._database.transaction() as session:
            queued = await self._apply(session, events)
            await mark_done(session, messages)
        if queued and self._after is not None:
            self._after()
        return [True] * len(messages)


def _nothing() -> None:
    """Nothing to do once committed: no event queued a notice."""


def event_message(event: PortalEvent, clock: Clock) -> IncomingMessage:
    """The event as the inbox keeps it: the dossier is the conversation, the event id the
    message id, the event itself the payload."""
    return IncomingMessage(
        ConversationRef(EVENTS_CHANNEL, event.code),
        # Its fields by name, without ``asdict``'s deep copy of each (a burst pays it per event).
        payload=json.dumps(
            {name: getattr(event, name) for name in _EVENT_FIELDS}, ensure_ascii=False
        ),
        message_id=event.event_id,
        received_at=clock.now(),
    )


def _kept_event(message: IncomingMessage) -> PortalEvent | None:
    try:
        return PortalEvent(**json.loads(message.payload or ""))
    except (ValueError, TypeError):
        logger.error("portal event kept in the inbox is unreadable: skipped")
        return None


def _refuse(status: int, reason: str) -> web.Response:
    return web.json_response({"error": {"code": "refused", "message": reason}}, status=status)


def _event(body: bytes) -> PortalEvent | None:
    try:
        raw: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(raw, dict) or raw.get("event") != STATUS_CHANGED:
        return None
    values = [raw.get(k) for k in ("event_id", "code", "status", "occurred_at")]
    note = raw.get("note") or ""
    if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in values) or not isinstance(
        note, str
    ):
        return None
    if raw["status"] not in LABELS:
        return None
    return PortalEvent(raw["event_id"], raw["code"], raw["status"], note[:2000], raw["occurred_at"])
