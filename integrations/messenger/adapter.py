"""The Messenger channel: the ``/webhooks/messenger`` routes, background processing and sending.

Meta expects a quick 200 and retries otherwise, delivering at least once and sometimes out of
order. So the webhook checks the signature and the shape, notes the user's messaging window,
hands each message to the inbox (which keeps it before the 200 is sent) and answers; the inbox
handles one user's messages in arrival order while different users proceed concurrently.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Literal

import aiohttp
from aiohttp import web

from dialogs.errors import OutsideWindow
from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from dialogs.ports import Clock, Inbox, Progress, SecretStore
from integrations.downloads import fetch
from integrations.http_input import MAX_REQUEST_BYTES, Refused, read_body
from integrations.messenger.format import to_messages
from integrations.messenger.send_api import SendApiClient
from integrations.messenger.webhook import (
    CHANNEL,
    SIGNATURE_HEADER,
    parse_webhook,
    signature_valid,
)
from integrations.messenger.window import MessagingWindow
from integrations.progress import UNRECORDED, send_unsent

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/messenger"

MessageTag = Literal["ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE"]
"""The tags motcua may use outside the window: a change to the citizen's dossier or account,
and an update about an appointment they registered for. Both must be non-promotional."""

ALLOWED_TAGS: frozenset[str] = frozenset(("ACCOUNT_UPDATE", "CONFIRMED_EVENT_UPDATE"))

MAX_BODY_BYTES = MAX_REQUEST_BYTES
"""Meta batches many events into one call, so a Messenger body may use the whole server limit."""


class MessengerAdapter:
    """A Facebook page's Messenger conversations, as a ``dialogs.ports.Channel``.

    Use it as an async context manager (it owns an HTTP session) and mount
    :meth:`routes` on the server's aiohttp application.
    """

    name = CHANNEL

    def __init__(
        self,
        inbox: Inbox,
        *,
        page_token: str,
        app_secret: str,
        verify_token: str,
        api_url: str,
        clock: Clock,
        store: SecretStore | None = None,
        max_attempts: int = 4,
        retry_delay: float = 0.5,
    ) -> None:
        """Configure the channel.

        Args:
            inbox: keeps each incoming message and has it answered (through :meth:`respond`).
            page_token: the page access token for the Send API.
            app_secret: the app secret that signs webhook bodies.
            verify_token: the token Meta echoes in the subscription handshake.
            api_url: the Graph API base URL including the version.
            clock: the time source for the window.
            store: durable storage for the 24-hour window; without it the window is kept in
                memory and a restart forgets it (proactive sends are then refused until the
                user writes again).
            max_attempts: tries per message when Graph reports a transient failure.
            retry_delay: the first backoff delay in seconds, doubled on each retry.
        """
        self._inbox = inbox
        self._app_secret = app_secret
        self._verify_token = verify_token
        self._api_url = api_url
        self._page_token = page_token
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay
        self._window = MessagingWindow(store, clock)
        self._session: aiohttp.ClientSession | None = None
        self._client: SendApiClient | None = None
        inbox.subscribe(CHANNEL, self.respond)

    async def __aenter__(self) -> MessengerAdapter:
        """Open the HTTP session used by the Send API."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        self._client = SendApiClient(
            self._session,
            self._api_url,
            self._page_token,
            max_attempts=self._max_attempts,
            retry_delay=self._retry_delay,
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Finish the queued work, then close the session."""
        await self.drain()
        if self._session is not None:
            await self._session.close()
        self._session = self._client = None

    async def download(self, attachment: Attachment, limit: int) -> bytes:
        """An image or file a user sent, from the attachment URL its event carries."""
        return await fetch(self._session, attachment, limit)

    def routes(self) -> list[web.RouteDef]:
        """The webhook routes: the GET subscription handshake and the POST events."""
        return [web.get(WEBHOOK_PATH, self._verify), web.post(WEBHOOK_PATH, self._receive)]

    async def drain(self) -> None:
        """Wait until every message handed to the inbox has been handled and answered."""
        await self._inbox.join()

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        *,
        tag: MessageTag | None = None,
    ) -> None:
        """Send a proactive message (a reminder, a status update).

        Inside the 24-hour window it goes out as an ``UPDATE``. Outside it, only with an allowed
        ``tag``, for a non-promotional update the citizen asked for.

        Raises:
            OutsideWindow: the window is closed and no allowed tag was given; nothing is sent.
            DeliveryError: a typed subclass when Meta refuses the message.
        """
        if await self._window.is_open(ref.user_id):
            await self._deliver(ref.user_id, replies, {"messaging_type": "UPDATE"})
        elif tag in ALLOWED_TAGS:
            await self._deliver(ref.user_id, replies, {"messaging_type": "MESSAGE_TAG", "tag": tag})
        else:
            raise OutsideWindow("the 24-hour window is closed and no message tag applies")

    async def _verify(self, request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo the challenge when the verify token matches."""
        query = request.query
        token = query.get("hub.verify_token", "")
        if query.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self._verify_token.encode()
        ):
            return web.Response(text=query.get("hub.challenge", ""))
        return web.Response(status=403, text="hub.mode or hub.verify_token is wrong")

    async def _receive(self, request: web.Request) -> web.Response:
        """Check the signature, then the shape; keep the events, then answer."""
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except Refused as exc:
            return exc.response()
        if not signature_valid(body, request.headers.get(SIGNATURE_HEADER), self._app_secret):
            log.warning("messenger webhook with a missing or wrong signature rejected")
            return web.Response(status=403, text="invalid signature")
        try:
            events = parse_webhook(body)
        except Refused as exc:
            log.warning("messenger webhook body rejected: %s", exc.message)
            return exc.response()
        for event in events:
            await self._window.touch(event.psid, event.at)
            for message in event.messages:
                await self._inbox.accept(message)
        return web.Response(text="EVENT_RECEIVED")

    async def respond(
        self, message: IncomingMessage, replies: Sequence[Reply], progress: Progress
    ) -> None:
        """Send the replies to a message the inbox processed, from the first message the Send
        API has not accepted yet.

        Raises:
            DeliveryError: the Send API refused them, or the messaging window is closed.
        """
        if replies:
            await self._reply(message.ref.user_id, replies, progress)

    async def _reply(self, psid: str, replies: Sequence[Reply], progress: Progress) -> None:
        """Answer a user's message, which is only allowed while their window is open."""
        if not await self._window.is_open(psid):
            raise OutsideWindow("the user's message is older than the 24-hour window")
        await self._deliver(psid, replies, {"messaging_type": "RESPONSE"}, progress)

    async def _deliver(
        self,
        psid: str,
        replies: Sequence[Reply],
        envelope: dict[str, Any],
        progress: Progress = UNRECORDED,
    ) -> None:
        """Post each rendered message in order; a failure stops the rest of this batch."""
        client = self._client
        if client is None:
            raise RuntimeError("MessengerAdapter used outside its 'async with' block")

        async def post(message: dict[str, Any]) -> None:
            await client.post({"recipient": {"id": psid}, **envelope, "message": message})

        await send_unsent(to_messages(replies), progress, post)
