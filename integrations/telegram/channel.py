"""The Telegram channel: receives updates and sends motcua's replies over the Bot API.

Long polling by default (python-telegram-bot's updater, see ``polling``, imported only then);
with a public URL, a webhook served by motcua's own aiohttp server (mount
:meth:`TelegramChannel.routes`), on aiohttp alone (``botapi``), which every send takes too.
Either way an update is kept before Telegram is told it arrived: the webhook answers 200, and
polling confirms the update (moves its offset on), only once the inbox has kept its message (or
the channel has noted who blocked the bot). The inbox answers one chat's messages in order
while different chats proceed in parallel. Sends into one chat are paced (see ``pacing``).

A failure to keep an update is the webhook's 503 (Telegram sends it again) or, when polling,
a logged retry that holds the offset back.
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from aiohttp import web

from dialogs.errors import ConfigurationError, FileTooBig, FileUnavailable, RecipientUnavailable
from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from dialogs.ports import (
    ButtonPayloads,
    Inbox,
    Progress,
    SecretStore,
    SendPace,
    UnreachableUsers,
)
from integrations.http_input import RETRY_AFTER, Refused, read_body
from integrations.memory import LocalUnreachableUsers
from integrations.progress import UNRECORDED, send_unsent
from integrations.render import as_html, render
from integrations.telegram.botapi import ApiError, BotApi, judge
from integrations.telegram.convert import (
    CAPABILITIES,
    CHANNEL,
    CallbackTokens,
    to_incoming,
    with_payloads,
)
from integrations.telegram.outgoing import TextMessage
from integrations.telegram.pacing import TELEGRAM_PACE, BotPace, ChatPace, ChatPacer
from integrations.telegram.schema import TelegramUpdate, checked_update

if TYPE_CHECKING:
    from integrations.telegram.polling import Poller

log = logging.getLogger(__name__)

OFFICIAL_API_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_KEY = "telegram.webhook_secret"
ALLOWED_UPDATES = ("message", "callback_query", "my_chat_member")
BLOCKED, MEMBER = "kicked", "member"
"""The bot's status in a private chat that blocked it, and in one that (again) did not."""
EMPTY_TEXT = "👇"  # Telegram refuses empty text; a reply that is only buttons points at them
MAX_BODY_BYTES = 256 * 1024
"""An update holds one message (4096 characters at most) and what it replies to: far below this."""
_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
PREPARED_REPLIES = 256
"""Replies kept rendered and encoded: a broadcast has one wording per commune and language,
and the menus and prompts of a conversation come back often."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    """Replies rendered for Telegram and encoded, ready for any chat.

    Attributes:
        tokens: short tokens standing for long button payloads, to keep before sending.
        messages: the ``sendMessage`` bodies, in order, without their chat.
    """

    tokens: Mapping[str, str]
    messages: tuple[TextMessage, ...]


class TelegramChannel:
    """A Telegram bot speaking for motcua, usable as the ``Channel`` port for proactive sends.

    Use as an async context manager (or call :meth:`start` / :meth:`stop`)::

        channel = TelegramChannel(token, inbox, public_url=settings.public_url)
        app.add_routes(channel.routes())       # before the aiohttp server starts
        async with channel:
            ...

    Args:
        token: the bot token from @BotFather.
        inbox: keeps each incoming message and has it answered (through :meth:`respond`).
        api_url: the Bot API server; requests go to ``<api_url>/bot<token>/<method>``.
        public_url: where Telegram can reach motcua; set, it selects webhook mode.
        webhook_secret: the ``secret_token`` Telegram echoes in every webhook request; when
            not given, one is generated once and kept in ``secrets``.
        secrets: durable storage for the generated webhook secret.
        payloads: where long button payloads are kept under their short tokens, shared by
            every worker (remembered in this process only when None).
        unreachable: who blocked the bot, shared by every worker (this process only when None).
        writers_reachable_on_keep: the inbox itself forgets a writer's mark in ``unreachable``
            as it keeps their message, in the same transaction (``DurableInbox.keep_with``);
            False: the channel forgets it first, through ``unreachable``.
        poll_timeout: how long one ``getUpdates`` long poll waits, in seconds.
        flood_retries: how many times a send is retried after a 429 before giving up.
        chat_pace: how fast messages go into one chat (see ``pacing``); other chats are not
            slowed by it.
        pace: how fast the bot sends over all its chats together; 30 messages a second in this
            process when None (the flood retries have no bot-wide limit of their own: this one
            is it, so every worker can share it).
        receive: take updates (register the webhook or poll); False for a worker that only
            sends, which must neither move the webhook nor compete with the poller.
        on_paced: called each time a send must wait for its chat's pace (for ``/metrics``).
        on_flood: called each time Telegram answers a send with 429 (``retry_after``): the
            flood retries wait it out, so without this a 429 they absorb is seen nowhere.
    """

    name = CHANNEL

    def __init__(
        self,
        token: str,
        inbox: Inbox,
        *,
        api_url: str = OFFICIAL_API_URL,
        public_url: str | None = None,
        webhook_secret: str | None = None,
        secrets: SecretStore | None = None,
        payloads: ButtonPayloads | None = None,
        unreachable: UnreachableUsers | None = None,
        writers_reachable_on_keep: bool = False,
        poll_timeout: float = 10.0,
        flood_retries: int = 3,
        chat_pace: ChatPace = TELEGRAM_PACE,
        pace: SendPace | None = None,
        receive: bool = True,
        on_paced: Callable[[], None] | None = None,
        on_flood: Callable[[], None] | None = None,
    ) -> None:
        if webhook_secret is not None and not _SECRET_FORMAT.fullmatch(webhook_secret):
            raise ValueError(
                "the Telegram webhook secret must be 1-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        self._inbox = inbox
        self._public_url = public_url.rstrip("/") if public_url else None
        self._configured_secret = webhook_secret
        self._secret_store = secrets
        self._secret: str | None = None
        self._token = token
        self._api_url = api_url
        self._poll_timeout = poll_timeout
        self._tokens = CallbackTokens(payloads)
        self._unreachable = unreachable if unreachable is not None else LocalUnreachableUsers()
        self._writers_reachable_on_keep = writers_reachable_on_keep
        self._answering: set[asyncio.Task[None]] = set()
        self._pacer = ChatPacer(chat_pace)
        self._pace = pace if pace is not None else BotPace()
        self._receive = receive
        self._on_paced = on_paced
        self._prepared = functools.lru_cache(maxsize=PREPARED_REPLIES)(self._prepare)
        self._api = BotApi(token, api_url, flood_retries, on_flood)
        self._poller: Poller | None = None
        self._running = False
        inbox.subscribe(CHANNEL, self.respond)

    @property
    def webhook_mode(self) -> bool:
        """Whether updates arrive by webhook (a public URL is set) rather than long polling."""
        return self._public_url is not None and self._receive

    def routes(self) -> list[web.RouteDef]:
        """The aiohttp routes to mount: the webhook in webhook mode, nothing when polling."""
        return [web.post(WEBHOOK_PATH, self.handle_webhook)] if self.webhook_mode else []

    async def __aenter__(self) -> TelegramChannel:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Check the token, then register the webhook or start polling.

        Raises:
            ConfigurationError: Telegram rejected the token (which is never put in the message).
            DeliveryError: Telegram could not be reached or refused the webhook.
        """
        try:
            await self._api.open()
            if self._receive and not self.webhook_mode:
                from integrations.telegram.polling import Poller  # PTB: only when polling

                self._poller = Poller(
                    self._token, self._api_url, self._keep, self._poll_timeout, ALLOWED_UPDATES
                )
                await self._poller.start()
            else:
                await self._api.call("getMe")
            if self.webhook_mode:
                self._secret = await self._webhook_secret()
                await self._api.call(
                    "setWebhook",
                    {
                        "url": f"{self._public_url}{WEBHOOK_PATH}",
                        "secret_token": self._secret,
                        "allowed_updates": ALLOWED_UPDATES,
                    },
                )
        except ApiError as exc:
            await self.stop()
            if exc.kind == "InvalidToken":  # the message may quote the token
                raise ConfigurationError("Telegram rejected the bot token") from None
            if exc.kind == "BadRequest":  # e.g. the webhook URL is not HTTPS
                raise ConfigurationError(f"Telegram refused the set-up: {exc.message}") from exc
            raise judge(exc) from exc
        self._running = True

    async def stop(self) -> None:
        """Stop receiving, finish every update already received, then close connections."""
        self._running = False
        if self._poller is not None:
            await self._poller.stop()
            self._poller = None
        await self.join()
        await self._api.close()  # also after a failed start

    async def join(self) -> None:
        """Wait until every update received so far has been answered."""
        await self._inbox.join()
        while self._answering:
            await asyncio.gather(*self._answering, return_exceptions=True)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """Accept one update from Telegram: check the secret, keep it, then answer 200."""
        if self._secret is None or not self._running:
            return web.Response(status=503, text="not ready")
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            update = checked_update(await read_body(request, MAX_BODY_BYTES))
        except Refused as exc:
            return exc.response()
        try:
            await self._keep(update)
        except Exception:  # Telegram sends the update again after a failed answer
            log.exception("telegram update not kept")
            return web.Response(
                status=503, text="not kept, send again", headers={"Retry-After": RETRY_AFTER}
            )
        return web.Response(status=200)

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Deliver replies proactively (reminders, status changes).

        Raises:
            RecipientUnavailable: the user blocked the bot (now or earlier) or the chat is gone.
            RateLimited: Telegram still refused after the configured flood retries.
            DeliveryError: any other refusal, translated by ``botapi.judge``.
        """
        chat_id = _chat_id(ref)
        if await self._unreachable.contains(str(chat_id)):
            raise RecipientUnavailable("the user blocked the bot")
        await self._deliver(chat_id, replies)

    async def send_prechecked(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """``send`` without asking the store first: the caller (a broadcast) checked in bulk.

        A block since then is still caught: Telegram refuses with 403 (``RecipientUnavailable``),
        and the user is marked.
        """
        await self._deliver(_chat_id(ref), replies)

    async def download(self, attachment: Attachment, limit: int) -> bytes:
        """A file a user sent, through ``getFile``; one whose announced size is over ``limit``
        is refused without asking (Telegram gives every photo's and document's size)."""
        if attachment.size is not None and attachment.size > limit:
            raise FileTooBig(f"{attachment.size} bytes announced")
        if not attachment.file_id:
            raise FileUnavailable("no file_id")
        try:
            found = await self._api.call("getFile", {"file_id": attachment.file_id})
            size = found.get("file_size")
            if size is not None and size > limit:
                raise FileTooBig(f"{size} bytes announced")
            data = await self._api.download(found["file_path"])
        except ApiError as error:  # its text may hold the file's URL, with the token
            if error.kind == "BadRequest" and "too big" in error.message:
                raise FileTooBig(error.message) from None
            raise FileUnavailable(error.kind) from None
        except (KeyError, AttributeError):
            raise FileUnavailable("no file_path") from None
        if len(data) > limit:
            raise FileTooBig(f"{len(data)} bytes")
        return bytes(data)

    async def _webhook_secret(self) -> str:
        """The configured secret, else the one kept in the store (the first worker's wins).

        Every worker registers the webhook on start-up; were each to make up its own secret,
        Telegram would keep the last one registered and the other workers would refuse it.
        """
        if self._configured_secret is not None:
            return self._configured_secret
        secret = secrets.token_urlsafe(32)
        if self._secret_store is None:
            return secret
        return await self._secret_store.add(SECRET_KEY, secret)

    async def _keep(self, item: TelegramUpdate) -> None:
        """Keep a message in the inbox, or note who blocked or unblocked the bot."""
        if item.my_chat_member is not None:
            await self._note_membership(item)
            return
        if item.callback_query is not None:
            # Only stops the button's spinner: not worth holding up the update's confirmation.
            answering = asyncio.create_task(self._answer(item.callback_query.id))
            self._answering.add(answering)
            answering.add_done_callback(self._answering.discard)
            await self._tokens.fetch(item.callback_query.data)
        incoming = to_incoming(item, self._tokens.resolve)
        if incoming is not None:
            if not self._writers_reachable_on_keep:  # whoever writes can be answered
                await self._unreachable.discard(incoming.ref.user_id)
            await self._inbox.accept(incoming)

    async def _note_membership(self, update: TelegramUpdate) -> None:
        """Telegram tells a bot when a private chat blocks or unblocks it."""
        change = update.my_chat_member
        if change is None:
            return
        if change.new_chat_member.status == BLOCKED:
            await self._unreachable.add(str(change.chat.id))
        elif change.new_chat_member.status == MEMBER:
            await self._unreachable.discard(str(change.chat.id))

    async def respond(
        self, message: IncomingMessage, replies: Sequence[Reply], progress: Progress
    ) -> None:
        """Send the replies to a message the inbox processed, from the first message Telegram
        has not accepted yet.

        Raises:
            DeliveryError: Telegram refused them (translated by ``botapi.judge``).
        """
        await self._deliver(int(message.ref.user_id), replies, progress)

    async def _answer(self, query_id: str) -> None:
        """Stop the button's loading spinner; a stale query must not stop the real answer."""
        try:
            await self._api.call("answerCallbackQuery", {"callback_query_id": query_id})
        except ApiError as exc:
            log.info("callback query not answered: %s", type(judge(exc)).__name__)

    def _prepare(self, replies: tuple[Reply, ...]) -> _Prepared:
        """Render and encode replies once, whichever chats they then go to."""
        shortened: dict[str, str] = {}

        def shorten(payload: str) -> str:
            token = self._tokens.token_for(payload)
            shortened[token] = payload
            return token

        rendered = render([with_payloads(r) for r in replies], CAPABILITIES, shorten)
        messages = tuple(  # the marked facts in bold
            TextMessage(as_html(message) or EMPTY_TEXT, message.buttons) for message in rendered
        )
        return _Prepared(shortened, messages)

    async def _deliver(
        self, chat_id: int, replies: Sequence[Reply], progress: Progress = UNRECORDED
    ) -> None:
        prepared = self._prepared(tuple(replies))
        await self._tokens.keep(prepared.tokens)  # before any button that needs them is sent

        async def send(message: TextMessage) -> None:
            pace = self._pacer(chat_id)
            if self._on_paced is not None and not pace.has_capacity():
                self._on_paced()
            try:
                async with pace:
                    await self._pace.wait()
                    await self._api.send_message(chat_id, message.body_for(chat_id))
            except ApiError as exc:
                error = judge(exc)
                if isinstance(error, RecipientUnavailable):
                    await self._unreachable.add(str(chat_id))
                raise error from exc

        await send_unsent(prepared.messages, progress, send)


def _chat_id(ref: ConversationRef) -> int:
    try:
        return int(ref.user_id)
    except ValueError:
        raise RecipientUnavailable("not a Telegram chat id") from None
