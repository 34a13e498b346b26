"""The fake Bot API of ``tests/fakes/telegram.py`` made cheap enough to load the servers it
measures without taking their cores: the throughput benchmark's load generator.

The load (this fake, the simulated chats and the load balancer) runs on the same two cores as
the servers, so every millisecond it spends on a message is a millisecond a second worker does
not get (``bench/workers.md``). The wire format is the test fake's: the same Bot API methods
and answers, the same webhook POSTs (JSON body, secret header, one update in flight per chat,
at most the webhook's ``max_connections`` in flight in all as Telegram does, retried until
acknowledged). What is left out is what the benchmark never reads: ``sendMessage``
bodies are recorded, not checked against Telegram's text and keyboard rules (the tests do that
with the full fake), and webhooks are posted over kept-alive connections written by hand
rather than through aiohttp's client, which costs several times more a request.

The load balancer in front of several workers is the round robin of :class:`LeanTelegram`'s
webhook posts: each update goes to the next worker's address, and one that refuses the
connection is skipped for the next, as nginx's ``proxy_next_upstream error`` does. A balancer
of its own forwarding every POST cost a second HTTP request and answer a message, here in the
load's CPU; in a deployment the balancer is another process (nginx, in C) on its own core.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from tests.fakes.telegram import (
    BOT_USER,
    SECRET_HEADER,
    FakeTelegram,
    SentMessage,
)

KEPT_ALIVE = "keep-alive"


class _Connection:
    """One kept-alive HTTP/1.1 connection to a webhook's server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def post(self, head: bytes, body: bytes) -> tuple[int, float | None, bool]:
        """Send a request; its status, its ``Retry-After`` if any, and whether the connection
        may be used again."""
        self.writer.write(head + body)
        answer = await self.reader.readuntil(b"\r\n\r\n")
        status = int(answer[9:12])
        length, retry_after, again = 0, None, True
        for line in answer.lower().split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name == b"content-length":
                length = int(value)
            elif name == b"retry-after":
                retry_after = float(value)
            elif name == b"connection" and value.strip() == b"close":
                again = False
            elif name == b"transfer-encoding":
                again = False  # not written by the servers measured: read until closed
                length = -1
        if length > 0:
            await self.reader.readexactly(length)
        elif length < 0:
            await self.reader.read()
        return status, retry_after, again

    def close(self) -> None:
        self.writer.close()


class _Targets:
    """The addresses webhooks go to, in turn, with each one's idle connections; at most
    ``connections`` posts at once, as Telegram delivers to a webhook over at most its
    ``max_connections`` connections (40 unless set)."""

    def __init__(self, path: str, targets: Sequence[str], connections: int) -> None:
        self.path = path
        self._slots = asyncio.Semaphore(connections)
        self._addresses = [(urlsplit(t).hostname or "", urlsplit(t).port or 80) for t in targets]
        self._turn = itertools.cycle(range(len(self._addresses)))
        self._idle: list[list[_Connection]] = [[] for _ in self._addresses]

    async def post(self, headers: bytes, body: bytes) -> tuple[int, float | None]:
        """POST to the next address that takes the connection; its status (0: none did) and
        ``Retry-After``."""
        async with self._slots:
            return await self._post(headers, body)

    async def _post(self, headers: bytes, body: bytes) -> tuple[int, float | None]:
        for _ in self._addresses:
            at = next(self._turn)
            host, port = self._addresses[at]
            idle = self._idle[at]
            head = (
                f"POST {self.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Content-Length: {len(body)}\r\n"
            ).encode() + headers
            try:
                connection = (
                    idle.pop() if idle else _Connection(*await asyncio.open_connection(host, port))
                )
            except OSError:
                continue  # refused: the next worker, as a balancer does
            try:
                status, retry_after, again = await connection.post(head, body)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                connection.close()
                return 0, None
            if again:
                idle.append(connection)
            else:
                connection.close()
            return status, retry_after
        return 0, None

    def close(self) -> None:
        for idle in self._idle:
            for connection in idle:
                connection.close()
            idle.clear()


class LeanTelegram(FakeTelegram):
    """The test fake with a cheap ``sendMessage`` and webhook posts, round robin over
    ``targets`` (the addresses of the workers behind the webhook's URL; the URL itself when
    empty)."""

    def __init__(self, targets: Sequence[str] = (), **options: Any) -> None:
        super().__init__(**options)
        self._targets = list(targets)
        self._posting: _Targets | None = None
        self._posting_for: tuple[str, str | None, int] | None = None
        self.last_sent_at = 0.0
        """``time.perf_counter()`` when the last message was sent."""

    async def __aenter__(self) -> LeanTelegram:
        await super().__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await super().__aexit__(*exc_info)
        if self._posting is not None:
            self._posting.close()

    async def _handle(self, request: web.Request) -> web.Response:
        if (
            request.match_info["method"].lower() == "sendmessage"
            and request.content_type == "application/json"
            and request.match_info["token"] == self.token
            and not self._failures
        ):
            return await self._send_lean(request)
        return await super()._handle(request)

    async def _send_lean(self, request: web.Request) -> web.Response:
        """Record a sent message and answer it as Telegram does (the Message it became)."""
        params = json.loads(await request.read())
        chat_id = int(params["chat_id"])
        user = self._users.get(chat_id)
        if user is None:
            return await super()._handle(request)  # the full fake's 400
        text = str(params.get("text", ""))
        message_id = self.next_message_id(chat_id)
        body = {
            "message_id": message_id,
            "from": BOT_USER,
            "chat": user.chat,
            "date": int(time.time()),
            "text": text,
        }
        self.sent.append(SentMessage(chat_id, message_id, text, params.get("reply_markup"), body))
        self.last_sent_at = time.perf_counter()
        return web.Response(
            body=json.dumps({"ok": True, "result": body}, ensure_ascii=False).encode(),
            content_type="application/json",
        )

    async def _send_message(self, params: dict[str, Any]) -> tuple[Any, str | None]:
        """The full fake's ``sendMessage`` (a form-encoded one: python-telegram-bot's)."""
        sent = await super()._send_message(params)
        self.last_sent_at = time.perf_counter()
        return sent

    def _webhook_targets(self) -> _Targets:
        assert self.webhook is not None
        wanted = (self.webhook.url, self.webhook.secret_token, self.webhook.max_connections)
        if self._posting is None or self._posting_for != wanted:
            if self._posting is not None:
                self._posting.close()
            url = urlsplit(self.webhook.url)
            path = url.path + (f"?{url.query}" if url.query else "")
            self._posting = _Targets(
                path or "/", self._targets or [self.webhook.url], self.webhook.max_connections
            )
            self._posting_for = wanted
        return self._posting

    async def _post_update(self, update: dict[str, Any]) -> tuple[int, float | None]:
        """One POST of an update over the webhook's kept-alive connections, written by hand."""
        assert self.webhook is not None
        headers = b"Content-Type: application/json\r\n"
        if self.webhook.secret_token:
            headers += f"{SECRET_HEADER}: {self.webhook.secret_token}\r\n".encode()
        headers += f"Connection: {KEPT_ALIVE}\r\n\r\n".encode()
        return await self._webhook_targets().post(headers, json.dumps(update).encode())
