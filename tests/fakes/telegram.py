"""A fake Telegram Bot API server (aiohttp) speaking the real wire format, with a user simulator.

It implements what motcua's Telegram channel uses, the way the official server
(tdlib/telegram-bot-api) behaves: ``POST|GET /bot<token>/<method>`` with case-insensitive method
names; parameters from the query string, urlencoded, JSON or multipart bodies; the
``{"ok": ..., "result"| "error_code"+"description"}`` envelope with the HTTP status equal to the
error code; getUpdates with offset confirmation, negative offsets, long polls capped at 50 s and
409 while a webhook is set; webhook delivery with exactly ``Content-Type: application/json``,
the secret header, one update in flight per chat and retries with the server's backoff; the
text and keyboard limits with their exact error descriptions; injectable 429 and 403 replies;
and, when asked, a per-chat flood limit (a burst, then a steady rate) answered with 429 and
``Retry-After`` as the real server may. The bot sends photos and documents with ``sendPhoto``
and ``sendDocument`` (a multipart upload or a known ``file_id``). Files users send (photos in
several sizes, documents) and files the bot uploaded are fetched as on the real server:
``getFile`` gives a ``file_path`` (refused with "file is too big" past the 20 MB download
limit), and ``GET /file/bot<token>/<file_path>`` serves the bytes.
Tests drive it through :class:`FakeUser` and read what the bot sent from ``sent``.

One deliberate difference: ``setWebhook`` accepts plain ``http://`` URLs on any port, since
tests serve the webhook from localhost.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import time
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from aiolimiter import AsyncLimiter

TOKEN = "123456789:AAHfakeTokenForMotcuaTests-0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
BOT_USER: dict[str, Any] = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Một cửa",
    "username": "motcua_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
LONG_POLL_MAX_TIMEOUT = 50
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile's limit for bots on the official server
FILE_TOO_BIG = "Bad Request: file is too big"
MAX_TEXT_LENGTH = 4096
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
JSON_PARAMS = (
    "reply_markup",
    "entities",
    "caption_entities",
    "allowed_updates",
    "reply_parameters",
    "link_preview_options",
)

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
BLOCKED = "Forbidden: bot was blocked by the user"
# The methods that put a message into a chat, which Telegram's per-chat flood limit counts.
CHAT_MESSAGE_METHODS = ("sendmessage", "editmessagetext")


class ApiError(Exception):
    """A Bot API error reply: the HTTP status equals ``code``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        """The error envelope exactly as the official server writes it."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        headers = {}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
            headers["Retry-After"] = str(self.retry_after)
        return web.json_response(body, status=self.code, headers=headers)


@dataclass(frozen=True)
class ChatLimit:
    """Telegram's per-chat flood limit: ``burst`` messages at once, then ``per_second``.

    The real thresholds are unpublished (the FAQ asks for at most one message a second per chat
    and "may allow short bursts"); tests pick them, often with a fast rate to stay quick.
    """

    burst: int
    per_second: float

    def bucket(self) -> AsyncLimiter:
        """A fresh leaky bucket for one chat."""
        return AsyncLimiter(self.burst, self.burst / self.per_second)

    @property
    def retry_after(self) -> int:
        """Whole seconds until a full bucket has room again, at least 1 as Telegram says."""
        return max(1, math.ceil(1 / self.per_second))


@dataclass
class Failure:
    """An error the next matching call(s) will get instead of a normal answer."""

    method: str
    error: ApiError
    chat_id: int | None = None
    times: int = 1
    after: int = 0
    """Matching calls answered as ever before the first failure."""


@dataclass
class SentMessage:
    """A message the bot sent (or edited), as the server stored it."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None
    json: dict[str, Any]

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard's buttons, row by row, flattened."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]

    @property
    def labels(self) -> list[str]:
        """The buttons' texts."""
        return [button["text"] for button in self.buttons]

    @property
    def bold(self) -> list[str]:
        """The parts of the text shown in bold (entities count UTF-16 units, as Telegram does)."""
        units = self.text.encode("utf-16-le")
        return [
            units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
            for e in self.json.get("entities", ())
            if e["type"] == "bold"
        ]


@dataclass
class Delivery:
    """One webhook POST attempt and the status the bot answered (0: no answer)."""

    update_id: int
    status: int


@dataclass
class Webhook:
    """The webhook as set by ``setWebhook``."""

    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


class FakeUser:
    """A citizen chatting with the bot in a private chat."""

    def __init__(
        self, server: FakeTelegram, user_id: int, first_name: str, language_code: str | None
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.language_code = language_code

    @property
    def json(self) -> dict[str, Any]:
        """The User object Telegram puts in ``from``."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> dict[str, Any]:
        """The private Chat object."""
        return {"id": self.id, "type": "private", "first_name": self.first_name}

    @property
    def messages(self) -> list[SentMessage]:
        """What the bot sent this user, oldest first."""
        return [m for m in self.server.sent if m.chat_id == self.id]

    def send(self, text: str) -> dict[str, Any]:
        """Type a message; returns the queued Update."""
        content: dict[str, Any] = {"text": text}
        if command := re.match(r"/\w+", text):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        return self._message(content)

    def send_photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """Send a photo: Telegram offers it in sizes, the largest last; returns the Update."""
        sizes = [
            {**self.server.host_file(data[: len(data) // 4], "photos"), "width": 90, "height": 67},
            {**self.server.host_file(data, "photos"), "width": 1280, "height": 960},
        ]
        extra: dict[str, Any] = {"caption": caption} if caption else {}
        return self._message({"photo": sizes, **extra})

    def send_document(
        self, data: bytes, file_name: str, mime_type: str, *, size: int | None = None
    ) -> dict[str, Any]:
        """Send a file; ``size`` overrides the announced ``file_size`` (a huge file without
        making one). Returns the Update."""
        document = self.server.host_file(data, "documents", file_name, size)
        return self._message(
            {"document": {**document, "file_name": file_name, "mime_type": mime_type}}
        )

    def _message(self, content: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self.server.next_message_id(self.id),
            "date": int(time.time()),
            "from": self.json,
            "chat": self.chat,
            **content,
        }
        return self.server.enqueue({"message": message}, key=self.id)

    def press(self, message: SentMessage, label: str) -> dict[str, Any]:
        """Tap the inline button labelled ``label`` under ``message``; returns the Update."""
        matches = [b for b in message.buttons if b["text"] == label and "callback_data" in b]
        if not matches:
            raise AssertionError(f"no callback button {label!r} in {message.labels}")
        return self.press_data(message, matches[0]["callback_data"])

    def press_data(self, message: SentMessage, data: str) -> dict[str, Any]:
        """Send a callback query with arbitrary ``data`` from ``message`` (even forged data)."""
        query_id = self.server.open_callback_query()
        query = {
            "id": query_id,
            "from": self.json,
            "chat_instance": f"-{self.id}77",
            "data": data,
            "message": message.json,
        }
        return self.server.enqueue({"callback_query": query}, key=self.id)

    def block(self) -> dict[str, Any]:
        """Block the bot: sends now fail with 403, and the bot gets a ``my_chat_member``."""
        self.server.blocked.add(self.id)
        return self._membership("member", "kicked")

    def unblock(self) -> dict[str, Any]:
        """Unblock the bot (restart it)."""
        self.server.blocked.discard(self.id)
        return self._membership("kicked", "member")

    def _membership(self, old: str, new: str) -> dict[str, Any]:
        change = {
            "chat": self.chat,
            "from": self.json,
            "date": int(time.time()),
            "old_chat_member": _member(old),
            "new_chat_member": _member(new),
        }
        return self.server.enqueue({"my_chat_member": change}, key=self.id)


def _member(status: str) -> dict[str, Any]:
    """The bot's ChatMember in a private chat; "kicked" means blocked, forever (until_date 0)."""
    member: dict[str, Any] = {"status": status, "user": BOT_USER}
    if status == "kicked":
        member["until_date"] = 0
    return member


class FakeTelegram:
    """The fake Bot API server. Use ``async with FakeTelegram() as telegram:``.

    Args:
        token: the one bot token it accepts; any other gets 401.
        backoff_factor: scales the webhook retry delays (2, 4, 8 ... s on the real server).
        max_attempts: webhook attempts per update before it is dropped.
        chat_limit: enforce this per-chat flood limit on sent messages; off when None.
        bot_limit: enforce this limit on the bot's messages over all chats together (Telegram's
            30 a second, or up to 1,000 with paid broadcasts); off when None.
    """

    def __init__(
        self,
        token: str = TOKEN,
        *,
        backoff_factor: float = 0.01,
        max_attempts: int = 8,
        chat_limit: ChatLimit | None = None,
        bot_limit: ChatLimit | None = None,
    ) -> None:
        self.token = token
        self.chat_limit = chat_limit
        self._bot_bucket = bot_limit.bucket() if bot_limit else None
        self._bot_retry_after = bot_limit.retry_after if bot_limit else 1
        self.backoff_factor = backoff_factor
        self.max_attempts = max_attempts
        self.sent: list[SentMessage] = []
        self.files: dict[str, tuple[bytes, str, int]] = {}  # file_id -> (bytes, path, size)
        self.downloads: list[str] = []  # file paths served
        self.edited: list[SentMessage] = []
        self.answered: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.deliveries: list[Delivery] = []
        self.blocked: set[int] = set()
        self.flooded: list[int | None] = []  # the chat_id of every call answered 429
        self.webhook: Webhook | None = None
        self.before_answering_a_send: Callable[[], Awaitable[None]] | None = None
        """Awaited once a message is sent and before the bot is told so (then forgotten): what
        happens to the bot between the two, e.g. its database going away."""
        self._users: dict[int, FakeUser] = {}
        self._held: list[tuple[Callable[[dict[str, Any]], bool], asyncio.Event]] = []
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(700_000_001)
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._query_ids = itertools.count(4_382_000_000_000_001)
        self._open_queries: set[str] = set()
        self._messages: dict[tuple[int, int], SentMessage] = {}
        self._failures: list[Failure] = []
        self._chat_buckets: dict[int, AsyncLimiter] = {}
        self._changed = asyncio.Event()
        self._activity = asyncio.Event()
        self._poll_generation = 0
        self._webhook_queues: dict[int, deque[dict[str, Any]]] = {}
        self._webhook_workers: set[asyncio.Task[None]] = set()
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(
            app, handle_signals=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for worker in list(self._webhook_workers):
            worker.cancel()
        await asyncio.gather(*self._webhook_workers, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- the user simulator and test controls -------------------------------------------

    def user(
        self, user_id: int = 5_550_001, first_name: str = "An", language_code: str | None = "vi"
    ) -> FakeUser:
        """A user who has started the bot (so the bot may write to them)."""
        user = FakeUser(self, user_id, first_name, language_code)
        self._users[user_id] = user
        return user

    def host_file(
        self, data: bytes, folder: str, name: str = "", size: int | None = None
    ) -> dict[str, Any]:
        """Keep a file a user sent; its ``file_id``, ``file_unique_id`` and ``file_size``."""
        number = len(self.files) + 1
        file_id = f"AgACAgIAAxkBAAI{number:05d}fake"
        suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ".jpg"
        announced = len(data) if size is None else size
        self.files[file_id] = (data, f"{folder}/file_{number}{suffix}", announced)
        return {"file_id": file_id, "file_unique_id": f"AQAD{number:05d}", "file_size": announced}

    def next_message_id(self, chat_id: int) -> int:
        """Message ids count up per private chat, shared by both sides as on Telegram."""
        return next(self._message_ids[chat_id])

    def open_callback_query(self) -> str:
        """A new callback query id the bot may answer once."""
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        return query_id

    def enqueue(self, payload: dict[str, Any], key: int) -> dict[str, Any]:
        """Give ``payload`` the next update_id and deliver it (webhook) or queue it (polling).

        ``key`` orders webhook delivery: Telegram queues message updates by chat and callback
        queries by user, one update in flight per queue.
        """
        update = {"update_id": next(self._update_ids), **payload}
        self._dispatch(update, key)
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        """Deliver an update again, as Telegram does after a lost acknowledgement."""
        self._dispatch(update, _update_key(update))

    def fail(
        self,
        method: str,
        code: int,
        description: str,
        *,
        chat_id: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (for ``chat_id``, if given) fail, once
        ``after`` of them have been answered as ever."""
        error = ApiError(code, description, retry_after)
        self._failures.append(Failure(method.lower(), error, chat_id, times, after))

    def flood(self, retry_after: int = 1, *, method: str = "sendMessage", times: int = 1) -> None:
        """Answer the next ``times`` calls with 429 Too Many Requests."""
        self.fail(
            method,
            429,
            f"Too Many Requests: retry after {retry_after}",
            retry_after=retry_after,
            times=times,
        )

    @contextlib.asynccontextmanager
    async def holding(self, sends: Callable[[dict[str, Any]], bool]) -> AsyncIterator[None]:
        """Until the block ends, take every ``sendMessage`` whose parameters ``sends`` picks
        (recorded in ``calls`` as it comes) without answering it, as a server stalling on them;
        other calls are answered as ever."""
        hold = (sends, asyncio.Event())
        self._held.append(hold)
        try:
            yield
        finally:
            self._held.remove(hold)
            hold[1].set()

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of ``method`` so far, in order."""
        return [params for name, params in self.calls if name == method.lower()]

    async def wait_for(self, condition: Callable[[], bool], within: float = 10.0) -> None:
        """Wait until ``condition()``, a check of what this server saw, holds; else fail."""
        try:
            async with asyncio.timeout(within):
                while not condition():
                    await self._activity.wait()
        except TimeoutError:
            raise AssertionError("condition not reached on the fake Telegram server") from None

    async def answers_to(self, update: dict[str, Any]) -> set[int]:
        """The statuses the webhook answered ``update`` with, once it has answered it at all.

        An answer is written down when this server has read it, which may be after the bot's
        reply to the same update has reached it: a test that waits for the reply alone may look
        before the answer is here.
        """
        update_id = update["update_id"]

        def statuses() -> set[int]:
            return {d.status for d in self.deliveries if d.update_id == update_id}

        await self.wait_for(lambda: bool(statuses()))
        return statuses()

    # ---- HTTP -----------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        method = request.match_info["method"].lower()
        try:
            return await self._call(method, request)
        finally:
            self._touch()

    async def _call(self, method: str, request: web.Request) -> web.Response:
        params: dict[str, Any] = {}
        try:
            params = await self._params(request)
            self.calls.append((method, params))
            self._touch()
            for sends, released in list(self._held):
                if method == "sendmessage" and sends(params):
                    await released.wait()
            self._injected_failure(method, params)
            await self._chat_flood_limit(method, params)
            await self._bot_flood_limit(method)
            handler = self._methods().get(method)
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            result, description = await handler(params)
            if method == "sendmessage" and self.before_answering_a_send is not None:
                happening, self.before_answering_a_send = self.before_answering_a_send, None
                await happening()
        except ApiError as error:
            if error.code == 429:
                self.flooded.append(_opt_int(params, "chat_id"))
            return error.response()
        body: dict[str, Any] = {"ok": True, "result": result}
        if description:
            body["description"] = description
        return web.json_response(body)

    def _methods(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        return {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "answercallbackquery": self._answer_callback_query,
            "getfile": self._get_file,
            "sendphoto": self._send_photo,
            "senddocument": self._send_document,
        }

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON object") from None
                if isinstance(body, dict):
                    params.update(body)
            else:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        data = value.file.read()
                        params[key] = {
                            "filename": value.filename,
                            "size": len(data),
                            "content_type": value.content_type,
                            "data": data,
                        }
                    elif isinstance(value, bytes | bytearray):
                        params[key] = value.decode()
                    else:
                        params[key] = value
        for key in JSON_PARAMS:
            if isinstance(params.get(key), str):
                try:
                    params[key] = json.loads(params[key])
                except ValueError:
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
        return params

    def _injected_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self._failures:
            if failure.method != method or failure.times <= 0:
                continue
            if failure.chat_id is not None and _opt_int(params, "chat_id") != failure.chat_id:
                continue
            if failure.after > 0:
                failure.after -= 1
                return
            failure.times -= 1
            raise failure.error

    async def _chat_flood_limit(self, method: str, params: dict[str, Any]) -> None:
        """Refuse a message into a chat whose bucket is full; a refused call costs nothing."""
        chat_id = _opt_int(params, "chat_id")
        if self.chat_limit is None or method not in CHAT_MESSAGE_METHODS or chat_id is None:
            return
        bucket = self._chat_buckets.get(chat_id)
        if bucket is None:
            bucket = self._chat_buckets[chat_id] = self.chat_limit.bucket()
        if not bucket.has_capacity():
            retry_after = self.chat_limit.retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        await bucket.acquire()  # there is room: takes it without waiting

    async def _bot_flood_limit(self, method: str) -> None:
        """Refuse a message when the bot's bucket over all chats is full."""
        if self._bot_bucket is None or method not in CHAT_MESSAGE_METHODS:
            return
        if not self._bot_bucket.has_capacity():
            retry_after = self._bot_retry_after
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        await self._bot_bucket.acquire()

    # ---- methods --------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        return BOT_USER, None

    async def _get_updates(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = min(max(_opt_float(params, "timeout") or 0.0, 0.0), LONG_POLL_MAX_TIMEOUT)
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # an older long poll ends with a conflict
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(409, OTHER_POLLER)
            self._confirm(offset)
            offset = 0  # confirmation is done once; later arrivals are all new
            if self._updates or loop.time() >= deadline or self.webhook is not None:
                return self._updates[:limit], None
            changed = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), deadline - loop.time())

    def _confirm(self, offset: int) -> None:
        """Forget confirmed updates: below ``offset``, or all but the last ``-offset``."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def _set_webhook(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        url = str(params.get("url", ""))
        if not url:
            return await self._delete_webhook(params)
        secret = params.get("secret_token")
        if secret is not None:
            if len(secret) > 256:
                raise ApiError(400, "Bad Request: secret token is too long")
            if not re.fullmatch(r"[A-Za-z0-9_-]*", secret):
                raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if params.get("drop_pending_updates") in ("true", True):
            self._updates.clear()
        self.webhook = Webhook(
            url=url,
            secret_token=secret or None,
            max_connections=_opt_int(params, "max_connections") or 40,
            allowed_updates=params.get("allowed_updates"),
        )
        self._notify()
        pending, self._updates = self._updates, []
        for update in pending:
            self._dispatch(update, _update_key(update))
        return True, "Webhook was set"

    async def _delete_webhook(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        if params.get("drop_pending_updates") in ("true", True):
            self._updates.clear()
        if self.webhook is None:
            return True, "Webhook is already deleted"
        self.webhook = None
        return True, "Webhook was deleted"

    async def _get_webhook_info(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        pending = len(self._updates) + sum(len(q) for q in self._webhook_queues.values())
        if self.webhook is None:
            return {
                "url": "",
                "has_custom_certificate": False,
                "pending_update_count": pending,
            }, None
        info: dict[str, Any] = {
            "url": self.webhook.url,
            "has_custom_certificate": False,
            "pending_update_count": pending,
            "max_connections": self.webhook.max_connections,
        }
        if self.webhook.allowed_updates is not None:
            info["allowed_updates"] = self.webhook.allowed_updates
        if self.webhook.last_error_date is not None:
            info["last_error_date"] = self.webhook.last_error_date
            info["last_error_message"] = self.webhook.last_error_message
        return info, None

    async def _send_message(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        chat_id = self._chat(params)
        text, entities = _checked_text(params)
        markup = _checked_markup(params.get("reply_markup"))
        message_id = self.next_message_id(chat_id)
        message = self._store(chat_id, message_id, text, markup, entities)
        self.sent.append(message)
        return message.json, None

    async def _send_photo(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        data, _name = self._upload(params, "photo")
        sizes = [{**self.host_file(data, "photos"), "width": 1280, "height": 960}]
        return self._store_upload(params, {"photo": sizes}), None

    async def _send_document(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        data, name = self._upload(params, "document")
        document = self.host_file(data, "documents", name)
        return self._store_upload(params, {"document": {**document, "file_name": name}}), None

    def _upload(self, params: dict[str, Any], field: str) -> tuple[bytes, str]:
        """The file a ``sendPhoto``/``sendDocument`` carries: uploaded in a multipart body, or
        the ``file_id`` of a file the server has."""
        given = params.get(field)
        if isinstance(given, dict):
            if not given["size"]:
                raise ApiError(400, "Bad Request: file must be non-empty")
            return given["data"], given["filename"] or ""
        if isinstance(given, str) and given in self.files:
            data, path, _size = self.files[given]
            return data, path.rsplit("/", 1)[-1]
        raise ApiError(400, f"Bad Request: there is no {field} in the request")

    def _store_upload(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """Keep a photo or document the bot sent (its caption is the message's text)."""
        chat_id = self._chat(params)
        caption = str(params.get("caption") or "")
        message_id = self.next_message_id(chat_id)
        body: dict[str, Any] = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": self._users[chat_id].chat,
            "date": int(time.time()),
            **content,
        }
        if caption:
            body["caption"] = caption
        message = SentMessage(chat_id, message_id, caption, None, body)
        self._messages[(chat_id, message_id)] = message
        self.sent.append(message)
        return body

    async def _edit_message_text(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        chat_id = self._chat(params)
        old = self._messages.get((chat_id, _opt_int(params, "message_id") or 0))
        if old is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        text, entities = _checked_text(params)
        markup = _checked_markup(params.get("reply_markup"))
        if text == old.text and markup == old.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message = self._store(chat_id, old.message_id, text, markup, entities)
        message.json["edit_date"] = int(time.time())
        self.edited.append(message)
        return message.json, None

    async def _get_file(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        file_id = str(params.get("file_id", ""))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        _data, path, size = self.files[file_id]
        if size > MAX_DOWNLOAD:
            raise ApiError(400, FILE_TOO_BIG)
        unique = "AQAD" + file_id.removeprefix("AgACAgIAAxkBAAI")[:5]
        return {
            "file_id": file_id,
            "file_unique_id": unique,
            "file_size": size,
            "file_path": path,
        }, None

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        found = [data for data, kept, _size in self.files.values() if kept == path]
        if not found:
            return web.Response(status=404, text="Not Found")
        self.downloads.append(path)
        self._touch()
        return web.Response(body=found[0], content_type="application/octet-stream")

    async def _answer_callback_query(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise ApiError(400, QUERY_TOO_OLD)
        self._open_queries.discard(query_id)
        self.answered.append(params)
        return True, None

    # ---- helpers --------------------------------------------------------------------------

    def _chat(self, params: dict[str, Any]) -> int:
        if params.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = _opt_int(params, "chat_id")
        if chat_id is None or chat_id not in self._users:
            raise ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        return chat_id

    def _store(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        markup: dict[str, Any] | None,
        entities: list[dict[str, Any]],
    ) -> SentMessage:
        body: dict[str, Any] = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": self._users[chat_id].chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            body["entities"] = entities
        if markup is not None:
            body["reply_markup"] = markup
        message = SentMessage(chat_id, message_id, text, markup, body)
        self._messages[(chat_id, message_id)] = message
        return message

    def _touch(self) -> None:
        """Wake ``wait_for``: something happened that a test may be waiting for."""
        self._activity.set()
        self._activity = asyncio.Event()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _dispatch(self, update: dict[str, Any], key: int) -> None:
        if self.webhook is None:
            self._updates.append(update)
            self._notify()
            return
        queue = self._webhook_queues.get(key)
        if queue is not None:
            queue.append(update)
            return
        self._webhook_queues[key] = deque([update])
        worker = asyncio.create_task(self._webhook_worker(key))
        self._webhook_workers.add(worker)
        worker.add_done_callback(self._webhook_workers.discard)

    async def _webhook_worker(self, key: int) -> None:
        """Deliver one queue's updates in order, each retried until it is acknowledged."""
        queue = self._webhook_queues[key]
        try:
            while queue:
                await self._deliver(queue[0])
                queue.popleft()
        finally:
            del self._webhook_queues[key]

    async def _deliver(self, update: dict[str, Any]) -> None:
        """POST until a 2xx: retry at once, then 2, 4, 8 ... s (scaled), or ``Retry-After``."""
        assert self.webhook is not None
        delay = 0.0
        for attempt in range(self.max_attempts):
            status, retry_after = await self._post_update(update)
            self.deliveries.append(Delivery(update["update_id"], status))
            self._touch()
            if 200 <= status < 300:
                return
            self.webhook.last_error_date = int(time.time())
            self.webhook.last_error_message = f"Wrong response from the webhook: {status}"
            delay = 0.0 if attempt == 0 else min(max(delay * 2, 2.0), 60.0)
            wait = min(max(retry_after, 0.0), 3600.0) if retry_after is not None else delay
            await asyncio.sleep(wait * self.backoff_factor)

    async def _post_update(self, update: dict[str, Any]) -> tuple[int, float | None]:
        """One POST of an update to the webhook: its status (0 when it could not be reached)
        and the ``Retry-After`` it asked for, if any."""
        assert self._session is not None and self.webhook is not None
        headers = {"Content-Type": "application/json"}
        if self.webhook.secret_token:
            headers[SECRET_HEADER] = self.webhook.secret_token
        try:
            async with self._session.post(
                self.webhook.url, data=json.dumps(update).encode(), headers=headers
            ) as response:
                retry_after = response.headers.get("Retry-After")
                return response.status, None if retry_after is None else float(retry_after)
        except aiohttp.ClientError:
            return 0, None


def _opt_int(params: dict[str, Any], key: str) -> int | None:
    value = params.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _opt_float(params: dict[str, Any], key: str) -> float | None:
    value = params.get(key)
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _update_key(update: dict[str, Any]) -> int:
    for kind in ("message", "callback_query", "my_chat_member"):
        if kind in update:
            body = update[kind]
            return int(body.get("chat", body.get("from", {})).get("id", 0))
    return 0


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _checked_text(params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The message text as Telegram counts it: after parsing entities, 1-4096 UTF-16 units;
    with its bold entities when it came with ``parse_mode=HTML``."""
    text = params.get("text")
    if not isinstance(text, str):
        raise ApiError(400, "Bad Request: message text is empty")
    shown, entities = text, []
    if str(params.get("parse_mode", "")).lower() == "html":
        shown, entities = _parse_html(text)
    if not shown.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if _utf16_length(shown) > MAX_TEXT_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return shown, entities


_UNPARSED = "Bad Request: can't parse entities: "
_HTML_TAGS = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline"}
_HTML_TOKEN = re.compile(r"<(/?)([A-Za-z-]*)[^<>]*>|&(lt|gt|amp|quot|#[0-9]+|#x[0-9A-Fa-f]+);|[<&]")


def _parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML parse mode, as strict as the server about what it cannot parse: a bare
    "<" or "&", an unsupported tag or an unclosed one refuse the whole message."""
    shown: list[str] = []
    entities: list[dict[str, Any]] = []
    open_tags: list[tuple[str, int]] = []
    last = 0
    for token in _HTML_TOKEN.finditer(text):
        shown.append(text[last : token.start()])
        last = token.end()
        offset = _utf16_length("".join(shown))
        where = f"byte offset {len(text[: token.start()].encode())}"
        if token.group(3):
            shown.append(html.unescape(token.group(0)))
        elif token.group(2) is None:
            raise ApiError(
                400,
                _UNPARSED + f"Can't find end of the entity starting at {where}",
            )
        elif (name := token.group(2).lower()) not in _HTML_TAGS:
            raise ApiError(
                400,
                _UNPARSED + f'Unsupported start tag "{name}" at {where}',
            )
        elif not token.group(1):
            open_tags.append((name, offset))
        elif not open_tags or open_tags[-1][0] != name:
            raise ApiError(
                400,
                _UNPARSED + f'Unmatched end tag at {where}, expected "{name}"',
            )
        else:
            _name, start = open_tags.pop()
            entities.append({"type": _HTML_TAGS[name], "offset": start, "length": offset - start})
    if open_tags:
        unclosed = open_tags[-1][0]
        raise ApiError(
            400, _UNPARSED + f'Can\'t find end tag corresponding to start tag "{unclosed}"'
        )
    shown.append(text[last:])
    return "".join(shown), [e for e in entities if e["length"]]


def _checked_markup(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard, checked the way the server checks it."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: field is not array")
    buttons = [button for row in rows for button in row]
    if len(buttons) > MAX_BUTTONS:
        raise ApiError(400, "Bad Request: REPLY_MARKUP_TOO_LONG")
    for button in buttons:
        if not isinstance(button, dict) or not button.get("text"):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text is empty")
        data = button.get("callback_data")
        if data is not None:
            if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        elif "url" not in button:
            raise ApiError(
                400,
                "Bad Request: can't parse inline keyboard button: "
                "Text buttons are unallowed in the inline keyboard",
            )
    return markup
