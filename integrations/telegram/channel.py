"""The Telegram channel: python-telegram-bot receives updates and sends motcua's replies.

Long polling by default; with a public URL, a webhook served by motcua's own aiohttp server
(mount :meth:`TelegramChannel.routes`). Either way an update is kept before Telegram is told it
arrived: the webhook answers 200, and polling confirms the update (moves its offset on), only
once the inbox has kept its message (or the channel has noted who blocked the bot). The inbox
answers one chat's messages in order while different chats proceed in parallel. Sends into one
chat are paced (see ``pacing``).

PTB's own update processing is not used: nothing waits on a task of PTB's that could die
unseen, and a failure to keep an update is the webhook's 503 (Telegram sends it again) or, when
polling, a logged retry that holds the offset back.
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import functools
import hmac
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from types import TracebackType

from aiohttp import web
from telegram import CallbackQuery, ChatMember, Update
from telegram.error import BadRequest, InvalidToken, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application
from tenacity import AsyncRetrying, RetryCallState, wait_exponential

from dialogs.errors import ConfigurationError, FileTooBig, FileUnavailable, RecipientUnavailable
from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply
from dialogs.ports import ButtonPayloads, Inbox, SecretStore, SendPace, UnreachableUsers
from integrations.http_input import RETRY_AFTER, Refused, read_body
from integrations.memory import LocalUnreachableUsers
from integrations.render import as_html, render
from integrations.telegram.convert import (
    CAPABILITIES,
    CHANNEL,
    CallbackTokens,
    to_incoming,
    with_payloads,
)
from integrations.telegram.errors import translate
from integrations.telegram.outgoing import TextMessage, refusal
from integrations.telegram.pacing import TELEGRAM_PACE, BotPace, ChatPace, ChatPacer
from integrations.telegram.request import AiohttpRequest
from integrations.telegram.schema import checked_update

log = logging.getLogger(__name__)

OFFICIAL_API_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_KEY = "telegram.webhook_secret"
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER)
EMPTY_TEXT = "👇"  # Telegram refuses empty text; a reply that is only buttons points at them
MAX_BODY_BYTES = 256 * 1024
"""An update holds one message (4096 characters at most) and what it replies to: far below this."""
_SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")
PREPARED_REPLIES = 256
"""Replies kept rendered and encoded: a broadcast has one wording per commune and language,
and the menus and prompts of a conversation come back often."""


KEEP_RETRY_PAUSE = 1.0
"""Seconds before a polled update the inbox could not keep is tried again (doubling, up to
a minute)."""


class _KeepingQueue(asyncio.Queue[object]):
    """PTB's update queue when polling: an update is "put" once ``keep`` has dealt with it.

    PTB's updater awaits ``put`` for each fetched update before it confirms them to Telegram,
    so an update is never confirmed before it is safe. Should ``keep`` fail (the database is
    down), ``put`` logs it and tries again: raising would end PTB's polling task without a
    word, and the offset must not move on. Only PTB's own signals enter the queue itself.
    """

    def __init__(self, keep: Callable[[Update], Awaitable[None]]) -> None:
        super().__init__()
        self._keep = keep

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):
            await super().put(item)
            return
        retrying = AsyncRetrying(
            wait=wait_exponential(multiplier=KEEP_RETRY_PAUSE, max=60),
            before_sleep=_note_keep_failure,
            reraise=True,
        )
        await retrying(self._keep, item)


def _note_keep_failure(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    log.error(
        "telegram update not kept, retry %d in %.0f s",
        state.attempt_number,
        state.upcoming_sleep,
        exc_info=error,
    )


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
        poll_timeout: how long one ``getUpdates`` long poll waits, in seconds.
        flood_retries: how many times a send is retried after a 429 before giving up.
        chat_pace: how fast messages go into one chat (see ``pacing``); other chats are not
            slowed by it.
        pace: how fast the bot sends over all its chats together; 30 messages a second in this
            process when None (PTB's own bot-wide limiter is off: this one replaces it, so
            every worker can share it).
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
        self._poll_timeout = dtm.timedelta(seconds=poll_timeout)
        self._tokens = CallbackTokens(payloads)
        self._unreachable = unreachable if unreachable is not None else LocalUnreachableUsers()
        self._answering: set[asyncio.Task[None]] = set()
        self._pacer = ChatPacer(chat_pace)
        self._pace = pace if pace is not None else BotPace()
        self._receive = receive
        self._on_paced = on_paced
        self._on_flood = on_flood
        self._prepared = functools.lru_cache(maxsize=PREPARED_REPLIES)(self._prepare)
        # Messages go through these two directly (see ``outgoing``); PTB's bot uses them too.
        self._request = AiohttpRequest()
        self._flood_retries = AIORateLimiter(overall_max_rate=0, max_retries=flood_retries)
        self._send_url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"

        builder = (
            Application.builder()
            .token(token)
            .base_url(f"{api_url.rstrip('/')}/bot")
            .base_file_url(f"{api_url.rstrip('/')}/file/bot")
            .rate_limiter(self._flood_retries)
            .request(self._request)
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
            .update_queue(_KeepingQueue(self._keep))
        )
        if self.webhook_mode or not receive:
            builder = builder.updater(None)
        self._app = builder.build()
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
            await self._app.initialize()
            if self._public_url is not None and self._receive:
                self._secret = await self._webhook_secret()
                await self._app.bot.set_webhook(
                    url=self._public_url + WEBHOOK_PATH,
                    secret_token=self._secret,
                    allowed_updates=ALLOWED_UPDATES,
                )
            elif self._app.updater is not None:
                await self._app.updater.start_polling(
                    timeout=self._poll_timeout, allowed_updates=ALLOWED_UPDATES
                )
            await self._app.start()
        except TelegramError as exc:
            await self.stop()
            if isinstance(exc, InvalidToken):  # PTB's message would quote the token
                raise ConfigurationError("Telegram rejected the bot token") from None
            if isinstance(exc, BadRequest):  # e.g. the webhook URL is not HTTPS
                raise ConfigurationError(f"Telegram refused the set-up: {exc.message}") from exc
            raise translate(exc) from exc

    async def stop(self) -> None:
        """Stop receiving, finish every update already received, then close connections."""
        if self._app.updater is not None and self._app.updater.running:
            await self._app.updater.stop()
        if self._app.running:
            await self._app.stop()
        await self.join()
        await self._app.shutdown()
        await self._app.bot.shutdown()  # also after a failed start, which leaves no app to stop

    async def join(self) -> None:
        """Wait until every update received so far has been answered."""
        await self._inbox.join()
        while self._answering:
            await asyncio.gather(*self._answering, return_exceptions=True)

    async def handle_webhook(self, request: web.Request) -> web.Response:
        """Accept one update from Telegram: check the secret, keep it, then answer 200."""
        if self._secret is None or not self._app.running:
            return web.Response(status=503, text="not ready")
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(given, self._secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = checked_update(await read_body(request, MAX_BODY_BYTES))
        except Refused as exc:
            return exc.response()
        try:
            update = Update.de_json(data, self._app.bot)
        except Exception:  # anything else PTB cannot turn into an Update is the sender's fault
            return web.Response(status=400, text="bad update")
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
            DeliveryError: any other refusal, translated by ``errors.translate``.
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
            found = await self._app.bot.get_file(attachment.file_id)
            if found.file_size is not None and found.file_size > limit:
                raise FileTooBig(f"{found.file_size} bytes announced")
            data = await found.download_as_bytearray()
        except BadRequest as error:
            if "too big" in error.message:
                raise FileTooBig(error.message) from None
            raise FileUnavailable(type(error).__name__) from None
        except TelegramError as error:  # its text may hold the file's URL, with the token
            raise FileUnavailable(type(error).__name__) from None
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

    async def _keep(self, item: Update) -> None:
        """Keep a message in the inbox, or note who blocked or unblocked the bot."""
        if item.my_chat_member is not None:
            await self._note_membership(item)
            return
        if item.callback_query is not None:
            # Only stops the button's spinner: not worth holding up the update's confirmation.
            answering = asyncio.create_task(self._answer(item.callback_query))
            self._answering.add(answering)
            answering.add_done_callback(self._answering.discard)
            await self._tokens.fetch(item.callback_query.data)
        incoming = to_incoming(item, self._tokens.resolve)
        if incoming is not None:
            await self._unreachable.discard(incoming.ref.user_id)  # whoever writes can be answered
            await self._inbox.accept(incoming)

    async def _note_membership(self, update: Update) -> None:
        """Telegram tells a bot when a private chat blocks or unblocks it."""
        change = update.my_chat_member
        if change is None:
            return
        if change.new_chat_member.status == ChatMember.BANNED:
            await self._unreachable.add(str(change.chat.id))
        elif change.new_chat_member.status == ChatMember.MEMBER:
            await self._unreachable.discard(str(change.chat.id))

    async def respond(self, message: IncomingMessage, replies: Sequence[Reply]) -> None:
        """Send the replies to a message the inbox processed.

        Raises:
            DeliveryError: Telegram refused them (translated by ``errors.translate``).
        """
        await self._deliver(int(message.ref.user_id), replies)

    async def _answer(self, query: CallbackQuery) -> None:
        """Stop the button's loading spinner; a stale query must not stop the real answer."""
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("callback query not answered: %s", type(translate(exc)).__name__)

    async def _post(self, body: bytes) -> bool:
        """One ``sendMessage``: True once accepted (the answer is not read further); a refusal
        is raised as PTB's exception, for the rate limiter and ``translate`` (see ``outgoing``).
        """
        status, answer = await self._request.post_json(self._send_url, body)
        if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
            error = refusal(status, answer)
            if isinstance(error, RetryAfter) and self._on_flood is not None:
                self._on_flood()
            raise error
        return True

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

    async def _deliver(self, chat_id: int, replies: Sequence[Reply]) -> None:
        prepared = self._prepared(tuple(replies))
        await self._tokens.keep(prepared.tokens)  # before any button that needs them is sent
        for message in prepared.messages:
            pace = self._pacer(chat_id)
            if self._on_paced is not None and not pace.has_capacity():
                self._on_paced()
            try:
                async with pace:
                    await self._pace.wait()
                    await self._flood_retries.process_request(
                        callback=self._post,
                        args=(message.body_for(chat_id),),
                        kwargs={},
                        endpoint="sendMessage",
                        data={"chat_id": chat_id},
                        rate_limit_args=None,
                    )
            except TelegramError as exc:
                error = translate(exc)
                if isinstance(error, RecipientUnavailable):
                    await self._unreachable.add(str(chat_id))
                raise error from exc


def _chat_id(ref: ConversationRef) -> int:
    try:
        return int(ref.user_id)
    except ValueError:
        raise RecipientUnavailable("not a Telegram chat id") from None
