"""The whole served application with every channel on, and raw HTTP requests to its routes.

Requests are sent as bytes with the headers a platform (or an attacker) would send: the
platforms' own signatures are computed here exactly as the fakes compute them.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import aiohttp
from fakes.messenger import FakeGraphApi
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo

from bot.app import App
from integrations.messenger import MessengerAdapter
from integrations.telegram import TelegramChannel
from integrations.zalo import ZaloChannel

TELEGRAM_SECRET = "edge-webhook-secret"
PAGE_TOKEN = "edge-page-token"
APP_SECRET = "edge-app-secret"
VERIFY_TOKEN = "edge-verify-token"

FUZZ_EXAMPLES = int(os.environ.get("MOTCUA_FUZZ_EXAMPLES", "200"))
"""Cases per fuzzed route and database: 200 in ``make test``, 10,000 in ``make fuzz``."""

STATUSES: dict[str, Counter[int]] = {}
"""Per route, how many answers of each status the fuzz tests saw (printed after the run)."""


@dataclass(frozen=True)
class Answer:
    """What a route answered: the status, the content type and the body as text."""

    status: int
    content_type: str
    text: str


@dataclass
class Edge:
    """The served app, the fakes behind it and an HTTP session to reach its routes."""

    app: App
    session: aiohttp.ClientSession
    telegram: FakeTelegram
    graph: FakeGraphApi
    zalo: FakeZalo

    @property
    def url(self) -> str:
        """The server's base URL."""
        assert self.app.settings.public_url
        return self.app.settings.public_url

    async def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """One raw request; ``path`` may carry a query string, sent as it is."""
        url = aiohttp.client.URL(self.url + path, encoded=True)
        data = io.BytesIO(body) if body is not None else None  # large bodies are streamed
        async with self.session.request(
            method, url, data=data, headers=dict(headers or {})
        ) as response:
            raw = await response.read()
            return Answer(response.status, response.content_type, raw.decode("utf-8", "replace"))

    async def chat(self, body: bytes, content_type: str = "application/json") -> Answer:
        """``POST /api/chat``."""
        return await self.request("POST", "/api/chat", body, {"Content-Type": content_type})

    async def telegram_update(self, body: bytes, secret: str = TELEGRAM_SECRET) -> Answer:
        """``POST /webhooks/telegram`` with the secret Telegram echoes."""
        headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret}
        return await self.request("POST", "/webhooks/telegram", body, headers)

    async def messenger_event(self, body: bytes, *, signed: bool = True) -> Answer:
        """``POST /webhooks/messenger``, signed with the app secret as Meta signs."""
        mac = hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"Content-Type": "application/json"}
        if signed:
            headers["X-Hub-Signature-256"] = f"sha256={mac}"
        return await self.request("POST", "/webhooks/messenger", body, headers)

    async def zalo_event(self, body: bytes, timestamp: str | None) -> Answer:
        """``POST /webhooks/zalo``, signed for ``timestamp`` as Zalo signs (unsigned: None)."""
        headers = {"Content-Type": "application/json"}
        if timestamp is not None:
            signed = timestamp.encode("utf-8", "surrogatepass")  # forgers may send anything
            mac = hashlib.sha256(
                self.zalo.app_id.encode() + body + signed + self.zalo.oa_secret.encode()
            ).hexdigest()
            headers["X-ZEvent-Signature"] = f"mac={mac}"
        return await self.request("POST", "/webhooks/zalo", body, headers)

    async def settle(self) -> None:
        """Wait until every channel has handled and answered what it accepted."""
        channels = self.app.channels
        telegram, messenger, zalo = channels["telegram"], channels["messenger"], channels["zalo"]
        assert isinstance(telegram, TelegramChannel)
        assert isinstance(messenger, MessengerAdapter)
        assert isinstance(zalo, ZaloChannel)
        await telegram.join()
        await messenger.drain()
        await zalo.join()
