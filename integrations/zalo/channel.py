"""The Zalo Official Account channel: webhook route, background processing and replies.

Zalo wants a 200 within about two seconds and re-delivers otherwise, so the webhook only checks
the signature, reads the event and hands its message to the inbox, which keeps it before the
200 is sent; the inbox then has it answered, keeping each user's messages in order while users
proceed in parallel, and the replies come back through :meth:`ZaloChannel.respond`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from dialogs.errors import MotcuaError
from dialogs.messages import Attachment, Button, ConversationRef, IncomingMessage, Reply
from dialogs.ports import Clock, Inbox, Progress, SecretStore
from integrations.downloads import fetch
from integrations.http_input import Refused, read_body
from integrations.progress import UNRECORDED, send_unsent
from integrations.render import Capabilities, RenderedMessage, render
from integrations.zalo import events, signature
from integrations.zalo.client import ZaloClient
from integrations.zalo.tokens import SystemClock, ZaloTokens

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/zalo"
WINDOW = timedelta(days=7)
"""Customer-service messages are refused (-230) this long after the user's last interaction."""
CAPABILITIES = Capabilities(
    max_text=2000,
    max_buttons=5,
    max_label=100,
    max_payload_bytes=1000 - len(events.PAYLOAD_PREFIX),
)
MAX_BODY_BYTES = 64 * 1024
"""One event per call, its text at most 2000 characters: far below this."""
# Zalo needs some text above the buttons; used when a reply has buttons only.
BUTTONS_ONLY_TEXT = "…"


class ZaloChannel:
    """The ``zalo`` channel: mount :meth:`routes`, use it as an async context manager."""

    name = events.CHANNEL

    def __init__(
        self,
        *,
        app_id: str,
        oa_secret: str,
        app_secret: str,
        access_token: str,
        refresh_token: str,
        inbox: Inbox,
        secrets: SecretStore,
        api_url: str = "https://openapi.zalo.me",
        oauth_url: str = "https://oauth.zaloapp.com",
        clock: Clock | None = None,
        refresh_interval: float = 300.0,
        retry_backoff: float = 1.0,
        shutdown_grace: float = 10.0,
    ) -> None:
        self._app_id = app_id
        self._oa_secret = oa_secret
        self._app_secret = app_secret
        self._initial_tokens = (access_token, refresh_token)
        self._inbox = inbox
        self._secrets = secrets
        self._api_url = api_url
        self._oauth_url = oauth_url
        self._clock: Clock = clock or SystemClock()
        self._refresh_interval = refresh_interval
        self._retry_backoff = retry_backoff
        self._shutdown_grace = shutdown_grace
        inbox.subscribe(events.CHANNEL, self.respond)
        self._session: aiohttp.ClientSession | None = None
        self._client: ZaloClient | None = None
        self._refresher: asyncio.Task[None] | None = None

    def routes(self) -> list[web.RouteDef]:
        """The webhook route, for the one aiohttp application that hosts every channel."""
        return [web.post(WEBHOOK_PATH, self.webhook)]

    async def __aenter__(self) -> ZaloChannel:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        tokens = ZaloTokens(
            session=self._session,
            oauth_url=self._oauth_url,
            app_id=self._app_id,
            app_secret=self._app_secret,
            access_token=self._initial_tokens[0],
            refresh_token=self._initial_tokens[1],
            secrets=self._secrets,
            clock=self._clock,
        )
        self._client = ZaloClient(
            session=self._session,
            api_url=self._api_url,
            tokens=tokens,
            backoff=self._retry_backoff,
        )
        self._refresher = asyncio.create_task(self._keep_token_fresh(tokens))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._finish()
        if self._refresher is not None:
            self._refresher.cancel()
            await asyncio.gather(self._refresher, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        self._session = self._client = self._refresher = None

    async def download(self, attachment: Attachment, limit: int) -> bytes:
        """A photo or file a user sent, from the URL its event carries."""
        return await fetch(self._session, attachment, limit)

    async def join(self) -> None:
        """Wait until every message handed to the inbox has been handled and answered."""
        await self._inbox.join()

    async def _finish(self) -> None:
        """On shutdown, let messages in hand finish for a grace period (the durable inbox keeps
        what is left for the next start)."""
        try:
            async with asyncio.timeout(self._shutdown_grace):
                await self.join()
        except TimeoutError:
            log.warning("zalo shutdown: replies still being sent were left to the inbox")

    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/zalo``: 403 unless signed, 4xx if unreadable, else kept, then 200.

        The signature is checked on the raw bytes before anything parses them.
        """
        try:
            body = await read_body(request, MAX_BODY_BYTES)
        except Refused as exc:
            return exc.response()
        timestamps = signature.signed_timestamps(
            body, request.headers.get(signature.TIMESTAMP_HEADER)
        )
        if not signature.is_valid(
            request.headers.get(signature.HEADER), self._app_id, body, timestamps, self._oa_secret
        ):
            log.warning("zalo webhook rejected: bad or missing signature")
            return web.json_response({"error": "invalid signature"}, status=403)
        try:
            event = events.parse(body)
        except Refused as exc:
            log.warning("zalo webhook rejected: %s", exc.message)
            return exc.response()
        except events.MalformedEvent as exc:
            log.warning("zalo webhook rejected: %s", exc)
            return web.json_response({"error": str(exc), "code": "invalid"}, status=400)
        # Zalo re-delivers an event when it misses our 200: the inbox drops the second copy.
        if event.message is not None:
            await self._inbox.accept(event.message)
        return web.json_response({"ok": True})

    async def send(
        self, ref: ConversationRef, replies: Sequence[Reply], progress: Progress = UNRECORDED
    ) -> None:
        """Send replies as customer-service messages, from the first one Zalo has not accepted
        yet; raises a ``DeliveryError`` on failure."""
        client = self._client
        if client is None:
            raise RuntimeError("ZaloChannel used outside its 'async with' block")

        async def send_cs(message: RenderedMessage) -> None:
            await client.send_cs(ref.user_id, _zalo_message(message))

        await send_unsent(render(replies, CAPABILITIES), progress, send_cs)

    async def respond(
        self, message: IncomingMessage, replies: Sequence[Reply], progress: Progress
    ) -> None:
        """Send the replies to a message the inbox processed.

        Raises:
            DeliveryError: Zalo refused them (see ``errors``).
        """
        if replies:
            await self.send(message.ref, replies, progress)

    async def _keep_token_fresh(self, tokens: ZaloTokens) -> None:
        """Refresh the access token ahead of expiry even while nobody writes, so the rotating
        refresh token never lapses on a quiet OA."""
        while True:
            await asyncio.sleep(self._refresh_interval)
            try:
                await tokens.access_token()
            except MotcuaError as exc:
                log.warning("zalo token refresh failed: %s", exc)


def _zalo_message(message: RenderedMessage) -> dict[str, Any]:
    """The ``message`` object of a CS call: text, plus a button template when there are buttons."""
    body: dict[str, Any] = {"text": message.text or BUTTONS_ONLY_TEXT}
    if message.buttons:
        body["attachment"] = {
            "type": "template",
            "payload": {"buttons": [_zalo_button(button) for button in message.buttons]},
        }
    return body


def _zalo_button(button: Button) -> dict[str, Any]:
    """A Zalo button: a hidden query carrying our payload, or a link.

    ``oa.query.hide`` sends the payload back as the user's message without showing the raw
    payload in their chat.
    """
    if button.payload is not None:
        return {
            "title": button.label,
            "type": "oa.query.hide",
            "payload": events.PAYLOAD_PREFIX + button.payload,
        }
    return {"title": button.label, "type": "oa.open.url", "payload": {"url": button.url or ""}}
