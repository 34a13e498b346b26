"""python-telegram-bot's HTTP layer on aiohttp, the client the rest of motcua already uses, for
the updater that long-polls (``polling``); everything else calls the Bot API without
python-telegram-bot (``botapi``), on the same :class:`~integrations.telegram.botapi.Connection`.

Sending a reply through PTB took 19.5 % of a worker's sampled CPU on PTB's default layer
(httpx and httpcore) while it answered the throughput benchmark, 9.8 % on this one
(``python -m bench.throughput --profile``, ``TelegramChannel._deliver``).
:class:`AiohttpRequest` does what ``HTTPXRequest`` does, no more: one pooled session (see
``botapi`` for its timeouts), PTB's form encoding (multipart when files go up), and PTB's
exceptions: a timeout is ``TimedOut``, anything else on the network ``NetworkError`` whose text
never holds the request URL (the token is in it); HTTP statuses (429 with ``retry_after``,
5xx, 403 ...) are turned into errors by PTB's ``BaseRequest``. Nothing is logged per request.
"""

from __future__ import annotations

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from integrations.telegram.botapi import ApiError, Connection, client_timeout

FORM = "application/x-www-form-urlencoded"


class AiohttpRequest(BaseRequest):
    """A ``BaseRequest`` on one ``botapi.Connection`` (opened by :meth:`initialize`).

    Args:
        connection_pool_size: connections kept to the Bot API at most (PTB's default, 256).
        read_timeout, write_timeout, connect_timeout, pool_timeout: the defaults of each call,
            in seconds (None: no limit), PTB's defaults unless given.
        media_write_timeout: the write timeout of a request that uploads files.
    """

    __slots__ = ("_connection", "_media_write_timeout")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connection = Connection(
            connection_pool_size,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
            user_agent=self.USER_AGENT,
        )
        self._media_write_timeout = media_write_timeout

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout (PTB adds a long poll's wait to it)."""
        return self._connection.timeouts[0]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        await self._connection.open()

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        await self._connection.close()

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
        default_read, default_write, default_connect, default_pool = self._connection.timeouts
        if files:
            default_write = self._media_write_timeout
        read = _given(read_timeout, default_read)
        write = _given(write_timeout, default_write)
        connect = _given(connect_timeout, default_connect)
        pool = _given(pool_timeout, default_pool)
        body: aiohttp.FormData | str | None = None
        if request_data is not None:
            body = _multipart(request_data) if files else request_data.url_encoded_parameters()
        timeout = client_timeout(read, write, connect, has_body=body is not None)
        headers = {"Content-Type": FORM} if isinstance(body, str) else None
        try:
            return await self._connection.exchange(method, url, body, headers, timeout, pool)
        except ApiError as error:  # a network failure: PTB names it the same way
            raise (TimedOut if error.kind == "TimedOut" else NetworkError)(error.message) from None


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """A call's timeout, or this layer's default when the call left it unset."""
    return default if isinstance(value, DefaultValue) else value


def _multipart(request_data: RequestData) -> aiohttp.FormData:
    """The parameters and files as ``multipart/form-data``, as PTB's httpx layer sends them."""
    form = aiohttp.FormData(request_data.json_parameters)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
