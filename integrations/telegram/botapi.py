"""The Bot API on aiohttp, without python-telegram-bot: every call a worker makes but polling.

python-telegram-bot, with the httpx it imports whatever request layer it is given, adds about
13 MB to a worker's resident memory (``python -m bench.memory``), over the 150 MB a worker
may take idle. A webhook worker needs none of it: it checks its token (``getMe``), registers
its webhook, sends messages, stops callback buttons' spinners and fetches the files users send,
all plain JSON calls made here. Only long polling still runs on python-telegram-bot's updater
(``polling``), imported when polling starts.

The calls behave as they did through python-telegram-bot on ``request.AiohttpRequest``:

- a refused call is read as its ``BaseRequest`` reads it (:func:`refused`), into an
  :class:`ApiError` of the kind named after the exception it raises, and turned into motcua's
  errors by :func:`judge` (``errors.translate`` does the same for python-telegram-bot's
  exceptions);
- one pooled session with its timeouts (:class:`Connection`): ``pool``, waiting for one of the
  pool's connections (a request that waited longer is not sent at all; aiohttp would count
  this wait in its connect timeout, so the pool's size is kept here, by a semaphore);
  ``connect``; ``read``, the longest silence while the answer comes in; ``write``: aiohttp has
  no timer per write, so a request with a body must be over within all its timeouts together;
- a call refused with 429 is retried after ``retry_after`` (:class:`FloodRetries`, what
  ``AIORateLimiter`` did with its bot-wide limit off), and a failure's text never holds the
  request's URL (the token is in it). Nothing is logged per request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import quote

import aiohttp
from aiolimiter import AsyncLimiter

from dialogs.errors import (
    ConfigurationError,
    DeliveryError,
    MotcuaError,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

JSON_HEADERS = {"Content-Type": "application/json"}
USER_AGENT = "motcua (aiohttp)"
_TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s]+")
_API_PREFIXES = ("Error: ", "[Error]: ", "Bad Request: ")

# Bad requests that mean the chat itself is gone, not that our message was malformed.
_GONE = ("chat not found", "user not found", "peer_id_invalid", "have no rights to send")

GROUP_RATE = 20
"""Messages a minute into one group (negative chat id), as ``AIORateLimiter`` allowed."""
GROUPS_REMEMBERED = 512


class ApiError(Exception):
    """A Bot API call that failed; ``kind`` names python-telegram-bot's exception for it.

    Attributes:
        kind: ``RetryAfter``, ``ChatMigrated``, ``Forbidden``, ``InvalidToken``,
            ``EndPointNotFound``, ``Conflict``, ``BadRequest``, ``TimedOut``, ``NetworkError``
            or ``TelegramError``.
        message: the error's text as python-telegram-bot words it (Telegram's description
            without its "Bad Request: " prefix).
        retry_after: the seconds a flood must wait (``RetryAfter`` only).
        new_chat_id: where a group moved (``ChatMigrated`` only).
    """

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        retry_after: float | None = None,
        new_chat_id: int | None = None,
    ) -> None:
        stripped = message
        for prefix in _API_PREFIXES:
            stripped = stripped.removeprefix(prefix)
        super().__init__(stripped.capitalize() if stripped != message else message)
        self.kind = kind
        self.message: str = self.args[0]
        self.retry_after = retry_after
        self.new_chat_id = new_chat_id


def flood(retry_after: float) -> ApiError:
    """The ``RetryAfter`` error for a wait of ``retry_after`` seconds."""
    shown = int(retry_after) if float(retry_after).is_integer() else retry_after
    return ApiError(
        "RetryAfter",
        f"Flood control exceeded. Retry in {shown} seconds",
        retry_after=float(retry_after),
    )


def migrated(new_chat_id: int) -> ApiError:
    """The ``ChatMigrated`` error of a group that became the supergroup ``new_chat_id``."""
    return ApiError(
        "ChatMigrated",
        f"Group migrated to supergroup. New chat id: {new_chat_id}",
        new_chat_id=new_chat_id,
    )


def refused(status: int, answer: bytes) -> ApiError:
    """The error python-telegram-bot raises for a Bot API answer with this HTTP status.

    Telegram's error answer is ``{"ok": false, "error_code": N, "description": "...",
    "parameters": {...}}`` with the HTTP status equal to ``error_code``; like PTB, this reads
    the status, the ``description`` (the status's name when there is none), and
    ``parameters``: ``migrate_to_chat_id`` and ``retry_after`` come first, whatever the status.
    """
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    try:
        found = json.loads(answer.decode("utf-8", "replace"))
    except ValueError:
        found = None
    if not isinstance(found, dict):
        message += f". Parsing the server response {answer!r} failed"
    else:
        message = found.get("description") or message
        parameters = found.get("parameters")
        if isinstance(parameters, dict) and parameters:
            if migrate_to := parameters.get("migrate_to_chat_id"):
                return migrated(migrate_to)
            if retry_after := parameters.get("retry_after"):
                return flood(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    match status:
        case HTTPStatus.FORBIDDEN:
            return ApiError("Forbidden", message)
        case HTTPStatus.NOT_FOUND | HTTPStatus.UNAUTHORIZED:  # a malformed or revoked token
            return ApiError("InvalidToken", message)
        case HTTPStatus.BAD_REQUEST:
            return ApiError("BadRequest", message)
        case HTTPStatus.CONFLICT:
            return ApiError("Conflict", message)
    return ApiError("NetworkError", message)


def judge(error: ApiError) -> MotcuaError:
    """The motcua error for a Bot API failure, so callers never see the Bot API's kinds.

    Only the kind and Telegram's own description are kept: never message text.
    """
    description = error.message
    match error.kind:
        case "RetryAfter":
            return RateLimited(description, retry_after=error.retry_after or 0.0)
        case "Forbidden" | "ChatMigrated":
            # Blocked, deactivated, kicked, never started, or the group moved: do not retry.
            return RecipientUnavailable(description)
        case "InvalidToken" | "EndPointNotFound" | "Conflict":
            return ConfigurationError(description)
        case "BadRequest" if any(gone in description.lower() for gone in _GONE):
            return RecipientUnavailable(description)
        case "BadRequest":
            return DeliveryError(description)
        case "NetworkError" | "TimedOut":
            return TemporaryFailure(description)
    return DeliveryError(description)


def _redacted(error: BaseException) -> str:
    """The error's text without the token aiohttp may quote with the URL."""
    return _TOKEN_IN_URL.sub(r"/\1bot<token>", str(error))


def client_timeout(
    read: float | None, write: float | None, connect: float | None, *, has_body: bool
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for a call's read, write and connect ones."""
    return aiohttp.ClientTimeout(
        total=_sum(connect, write, read) if has_body else None,
        connect=connect,
        sock_connect=connect,
        sock_read=read,
    )


def _sum(*timeouts: float | None) -> float | None:
    """Timeouts of consecutive phases together; unlimited if any of them is."""
    if any(t is None for t in timeouts):
        return None
    return sum(t for t in timeouts if t is not None)


class Connection:
    """One ``aiohttp.ClientSession`` to the Bot API (opened by :meth:`open`), its pool's size
    and the default timeouts of every call, in seconds (None: no limit)."""

    def __init__(
        self,
        pool_size: int = 256,
        *,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        user_agent: str = USER_AGENT,
    ) -> None:
        self.timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._json_timeout = client_timeout(
            read_timeout, write_timeout, connect_timeout, has_body=True
        )
        self._download_timeout = client_timeout(
            read_timeout, write_timeout, connect_timeout, has_body=False
        )
        self._user_agent = user_agent
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(pool_size)

    async def open(self) -> None:
        """Open the session (again, after :meth:`close`)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0)  # the pool's size is ``_slots``
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self._user_agent}
            )

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def post_json(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST a body encoded as JSON with the default timeouts: the status and the answer."""
        return await self.exchange(
            "POST", url, body, JSON_HEADERS, self._json_timeout, self.timeouts[3]
        )

    async def get(self, url: str) -> tuple[int, bytes]:
        """GET with the default timeouts (the read timer only: nothing goes up)."""
        return await self.exchange("GET", url, None, None, self._download_timeout, self.timeouts[3])

    async def exchange(
        self,
        method: str,
        url: str,
        body: aiohttp.FormData | str | bytes | None,
        headers: Mapping[str, str] | None,
        limits: aiohttp.ClientTimeout,
        pool: float | None,
    ) -> tuple[int, bytes]:
        """Wait ``pool`` at most for a connection, then make the request.

        Raises:
            ApiError: ``TimedOut`` or ``NetworkError``, whose text never holds the URL.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("this Bot API connection is not open")
        if self._slots.locked():
            try:
                async with asyncio.timeout(pool):
                    await self._slots.acquire()
            except TimeoutError:
                raise ApiError(
                    "TimedOut",
                    "Pool timeout: every connection to the Bot API is busy; "
                    "the request was not sent",
                ) from None
        else:
            await self._slots.acquire()  # free: returns at once
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=limits
            ) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise ApiError(
                "TimedOut", f"no answer from the Bot API within the {method} timeouts"
            ) from None
        except aiohttp.ClientError as error:
            raise ApiError(
                "NetworkError", f"aiohttp.{type(error).__name__}: {_redacted(error)}"
            ) from None
        finally:
            self._slots.release()


class FloodRetries:
    """A call refused with 429 is tried again once its ``retry_after`` (and 0.1 s) is over,
    ``retries`` times at most, and no other call of this bot starts meanwhile; sends into one
    group keep to 20 a minute. This is python-telegram-bot's ``AIORateLimiter`` with its
    bot-wide limit off (``pacing.BotPace`` replaces it, shared by every worker)."""

    def __init__(self, retries: int) -> None:
        self._retries = retries
        self._clear = asyncio.Event()
        self._clear.set()
        self._groups = functools.lru_cache(maxsize=GROUPS_REMEMBERED)(self._group_limiter)

    @staticmethod
    def _group_limiter(chat_id: int) -> AsyncLimiter:
        return AsyncLimiter(GROUP_RATE, 60)

    async def run(self, call: Callable[[], Awaitable[T]], chat_id: int | None = None) -> T:
        """``call()``'s result, after as many flood waits as it takes and is allowed.

        Raises:
            ApiError: the call failed, or was still flooded after the last retry.
        """
        group = self._groups(chat_id) if chat_id is not None and chat_id < 0 else None
        attempt = 0
        while True:
            try:
                async with group if group is not None else contextlib.nullcontext():
                    await self._clear.wait()
                    return await call()
            except ApiError as error:
                if error.retry_after is None:
                    raise
                if attempt == self._retries:
                    log.exception(
                        "Rate limit hit after maximum of %d retries", self._retries, exc_info=error
                    )
                    raise
                pause = error.retry_after + 0.1
                log.info("Rate limit hit. Retrying after %f seconds", pause)
                self._clear.clear()
                await asyncio.sleep(pause)
            finally:
                self._clear.set()
            attempt += 1


class BotApi:
    """The Bot API server of one bot: ``<api_url>/bot<token>/<method>`` and its files.

    Args:
        token: the bot token.
        api_url: the Bot API server.
        flood_retries: how many times a call is retried after a 429.
        on_flood: called each time Telegram answers ``sendMessage`` with 429.
    """

    def __init__(
        self,
        token: str,
        api_url: str,
        flood_retries: int,
        on_flood: Callable[[], None] | None = None,
    ) -> None:
        base = api_url.rstrip("/")
        self._methods = f"{base}/bot{token}/"
        self._files = f"{base}/file/bot{token}/"
        self._send_url = self._methods + "sendMessage"
        self._on_flood = on_flood
        self.connection = Connection()
        self.floods = FloodRetries(flood_retries)

    async def open(self) -> None:
        """Open the connection."""
        await self.connection.open()

    async def close(self) -> None:
        """Close the connection."""
        await self.connection.close()

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """The ``result`` of one call with ``params`` as its JSON body.

        Raises:
            ApiError: Telegram refused it, or could not be reached.
        """
        body = json.dumps(params or {}, ensure_ascii=False, separators=(",", ":")).encode()
        return await self.floods.run(functools.partial(self._call, method, body))

    async def _call(self, method: str, body: bytes) -> Any:
        status, answer = await self.connection.post_json(self._methods + method, body)
        if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
            raise refused(status, answer)
        try:
            return json.loads(answer)["result"]
        except (ValueError, KeyError, TypeError):
            raise ApiError("TelegramError", "Invalid server response") from None

    async def send_message(self, chat_id: int, body: bytes) -> None:
        """One ``sendMessage`` with its body encoded already (see ``outgoing``); the answer to
        an accepted one is not read further.

        Raises:
            ApiError: Telegram still refused it after the flood retries.
        """
        await self.floods.run(functools.partial(self._send, body), chat_id)

    async def _send(self, body: bytes) -> None:
        status, answer = await self.connection.post_json(self._send_url, body)
        if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
            error = refused(status, answer)
            if error.retry_after is not None and self._on_flood is not None:
                self._on_flood()
            raise error

    async def download(self, file_path: str) -> bytes:
        """The bytes of a file ``getFile`` gave the path of.

        Raises:
            ApiError: the file server refused it, or could not be reached.
        """
        status, answer = await self.connection.get(self._files + quote(file_path))
        if not HTTPStatus.OK <= status < HTTPStatus.MULTIPLE_CHOICES:
            raise refused(status, answer)
        return answer
