"""python-telegram-bot's HTTP layer on aiohttp, the client the rest of motcua already uses.

Sending a reply through PTB took 19.5 % of a worker's sampled CPU on PTB's default layer
(httpx and httpcore) while it answered the throughput benchmark, 9.8 % on this one
(``python -m bench.throughput --profile``, ``TelegramChannel._deliver``).
:class:`AiohttpRequest` does what ``HTTPXRequest`` does, no more: one pooled
session, PTB's form encoding (multipart when files go up), and its timeouts (which
``post_json`` keeps too, for the bodies ``outgoing`` encodes itself):

- ``pool``: waiting for one of the pool's connections; a request that waited longer is not
  sent at all (aiohttp would count this wait in its connect timeout, so the pool's size is
  kept here, by a semaphore);
- ``connect``: reaching Telegram;
- ``read``: the longest silence while the answer comes in, counted once the request is sent;
- ``write``: sending the request; aiohttp has no timer per write, so a request with a body must
  be over within all its timeouts together (a Bot API answer is small; downloads are GETs and
  keep the read timer only).

Failures are PTB's: a timeout is ``TimedOut``, anything else on the network ``NetworkError``
whose text never holds the request URL (the token is in it); HTTP statuses (429 with
``retry_after``, 5xx, 403 ...) are turned into errors by PTB's ``BaseRequest`` as before (by
``outgoing.refusal``, which reads them the same way, for ``post_json``), and PTB's rate limiter
retries floods as it did. Nothing is logged per request.
"""

from __future__ import annotations

import asyncio
import re

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

FORM = "application/x-www-form-urlencoded"
JSON_HEADERS = {"Content-Type": "application/json"}
_TOKEN_IN_URL = re.compile(r"/(file/)?bot[^/\s]+")


def _redacted(error: BaseException) -> str:
    """The error's text without the token aiohttp may quote with the URL."""
    return _TOKEN_IN_URL.sub(r"/\1bot<token>", str(error))


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``aiohttp.ClientSession`` (created by :meth:`initialize`).

    Args:
        connection_pool_size: connections kept to the Bot API at most (PTB's default, 256).
        read_timeout, write_timeout, connect_timeout, pool_timeout: the defaults of each call,
            in seconds (None: no limit), PTB's defaults unless given.
        media_write_timeout: the write timeout of a request that uploads files.
    """

    __slots__ = ("_json_timeout", "_media_write_timeout", "_session", "_slots", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._json_timeout = _client_timeout(
            read_timeout, write_timeout, connect_timeout, has_body=True
        )
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._slots = asyncio.Semaphore(connection_pool_size)

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's wait to it)."""
        return self._timeouts[0]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=0)  # the pool's size is ``_slots``
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """One call to the Bot API: its HTTP status and body (PTB reads the errors off them)."""
        files = request_data.contains_files if request_data else False
        default_read, default_write, default_connect, default_pool = self._timeouts
        if files:
            default_write = self._media_write_timeout
        read = _given(read_timeout, default_read)
        write = _given(write_timeout, default_write)
        connect = _given(connect_timeout, default_connect)
        pool = _given(pool_timeout, default_pool)
        body: aiohttp.FormData | str | None = None
        if request_data is not None:
            body = _multipart(request_data) if files else request_data.url_encoded_parameters()
        timeout = _client_timeout(read, write, connect, has_body=body is not None)
        headers = {"Content-Type": FORM} if isinstance(body, str) else None
        return await self._exchange(method, url, body, headers, timeout, pool)

    async def post_json(self, url: str, body: bytes) -> tuple[int, bytes]:
        """POST a body already encoded as JSON, with this layer's default timeouts: the HTTP
        status and the answer (``outgoing`` sends messages this way)."""
        return await self._exchange(
            "POST", url, body, JSON_HEADERS, self._json_timeout, self._timeouts[3]
        )

    async def _exchange(
        self,
        method: str,
        url: str,
        body: aiohttp.FormData | str | bytes | None,
        headers: dict[str, str] | None,
        limits: aiohttp.ClientTimeout,
        pool: float | None,
    ) -> tuple[int, bytes]:
        """Wait ``pool`` at most for a connection, then make the request."""
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        if self._slots.locked():
            try:
                async with asyncio.timeout(pool):
                    await self._slots.acquire()
            except TimeoutError:
                raise TimedOut(
                    "Pool timeout: every connection to the Bot API is busy; "
                    "the request was not sent"
                ) from None
        else:
            await self._slots.acquire()  # free: returns at once
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=limits
            ) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise TimedOut(f"no answer from the Bot API within the {method} timeouts") from None
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {_redacted(error)}") from None
        finally:
            self._slots.release()


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A call's timeout, or this layer's default when the call left it unset."""
    return default if isinstance(value, DefaultValue) else value


def _client_timeout(
    read: float | None, write: float | None, connect: float | None, *, has_body: bool
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for PTB's read, write and connect ones."""
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


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The parameters and files as ``multipart/form-data``, as PTB's httpx layer sends them."""
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
