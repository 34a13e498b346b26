"""A fake Zalo OA platform: the OA API v3, the OAuth v4 token endpoint and a webhook emitter.

It speaks Zalo's wire format: the ``access_token`` header, HTTP 200 for every answer with a
negative ``error`` on failure, single-use rotating refresh tokens, access tokens that expire
after a configurable lifetime, the 7-day interaction window for customer-service messages, and
webhooks signed ``mac=sha256(app_id + body + timestamp + oa_secret)``. Time comes from a
controllable clock so tests can jump days ahead.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestServer
from support.clock import ManualClock

WINDOW = timedelta(days=7)
WAIT_LIMIT = 10.0  # seconds
BUTTON_TYPES = ("oa.query.show", "oa.query.hide", "oa.open.url", "oa.open.phone", "oa.open.sms")
MESSAGES = {
    -32: "Your OA reached limit call api",
    -201: "{} is invalid!",
    -211: "Out of quota",
    -213: "User has not followed OA",
    -216: "Access token is invalid",
    -217: "User has blocked invitation from OA",
    -220: "access_token is expired or removed",
    -227: "User is banned or has been inactive for more than 45 days",
    -230: "User has not interacted with the OA in the past 7 days",
    -232: "User has not interacted with the OA, or the last interaction has expired",
}


@dataclass
class SentMessage:
    """A message the OA sent, as the platform recorded it."""

    user_id: str
    text: str
    buttons: list[dict[str, Any]]
    endpoint: str


@dataclass
class FakeUser:
    """What the platform knows about one user of the OA."""

    last_interaction: datetime | None = None
    following: bool = True
    blocked: bool = False
    banned: bool = False


@dataclass
class Delivery:
    """The statuses the bot answered for one emitted event, in order of attempts."""

    statuses: list[int] = field(default_factory=list)


class FakeZalo:
    """The fake platform. Use ``async with FakeZalo(...) as zalo`` and point the adapter at
    ``zalo.api_url`` / ``zalo.oauth_url`` and ``zalo.webhook_url`` at the bot."""

    def __init__(
        self,
        *,
        app_id: str = "360846524940903967",
        oa_id: str = "388613280878808645",
        oa_secret: str = "oa-secret-key",
        app_secret: str = "app-secret-key",
        token_ttl: timedelta = timedelta(hours=25),
        clock: ManualClock | None = None,
        webhook_retries: int = 3,
        oauth_delay: float = 0.0,
    ) -> None:
        self.app_id = app_id
        self.oa_id = oa_id
        self.oa_secret = oa_secret
        self.app_secret = app_secret
        self.token_ttl = token_ttl
        self.clock = clock or ManualClock()
        self.webhook_retries = webhook_retries
        self.oauth_delay = oauth_delay  # seconds a refresh takes after spending the old token
        self.webhook_url = ""
        self.users: dict[str, FakeUser] = {}
        self.sent: list[SentMessage] = []
        self.refreshes = 0
        self.rejected: list[int] = []  # every negative error code answered to the OA API
        self.tokens_used: list[str] = []  # the access token of every OA API call, in order
        self.files: dict[str, bytes] = {}  # CDN path -> what users sent
        self.downloads: list[str] = []  # CDN paths fetched
        self._access: dict[str, datetime] = {}  # live access token -> expiry
        self._refresh: set[str] = set()  # refresh tokens not yet spent
        self._injected: deque[int | None] = deque()  # None: answered as ever
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._server = TestServer(self._app(), host="127.0.0.1")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeZalo:
        await self._server.start_server()
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        await self._server.close()

    @property
    def api_url(self) -> str:
        """Base URL of the OA API (``https://openapi.zalo.me`` in production)."""
        return str(self._server.make_url("")).rstrip("/")

    oauth_url = api_url  # one server answers both hosts' paths

    # --- test controls ---------------------------------------------------------------------

    def issue_tokens(self) -> tuple[str, str]:
        """A fresh access/refresh pair, as an operator gets when authorising the OA."""
        access, refresh = f"at-{secrets.token_hex(8)}", f"rt-{secrets.token_hex(8)}"
        self._access[access] = self.clock.now() + self.token_ttl
        self._refresh.add(refresh)
        return access, refresh

    def revoke(self, access_token: str) -> None:
        """Kill an access token before its time (Zalo then answers -216)."""
        self._access.pop(access_token, None)

    def inject(self, *codes: int, after: int = 0) -> None:
        """Answer the next OA API calls with these error codes, one call each, once ``after``
        of them have been answered as ever."""
        self._injected.extend([None] * after)
        self._injected.extend(codes)

    def user(self, user_id: str) -> FakeUser:
        """The platform's record of a user (created on first mention)."""
        return self.users.setdefault(user_id, FakeUser())

    def sent_to(self, user_id: str) -> list[SentMessage]:
        """Messages the OA sent to one user, in order."""
        return [message for message in self.sent if message.user_id == user_id]

    async def wait_sent(self, count: int) -> list[SentMessage]:
        """Wait until at least ``count`` messages have been sent in total."""
        await self.wait_until(lambda: len(self.sent) >= count)
        return self.sent

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Wait until ``condition`` holds after a message or a refresh (bounded generously, so a
        broken bot fails instead of hanging)."""
        async with asyncio.timeout(WAIT_LIMIT), self._changed:
            await self._changed.wait_for(condition)

    # --- webhook emitter -------------------------------------------------------------------

    def event(self, name: str, user_id: str, **fields: Any) -> dict[str, Any]:
        """A webhook event as Zalo builds it; interactions open the user's window."""
        timestamp = str(int(self.clock.now().timestamp() * 1000))
        if name in ("follow", "unfollow"):
            event = {
                "oa_id": self.oa_id,
                "follower": {"id": user_id},
                "user_id_by_app": f"app-{user_id}",
                "event_name": name,
                "source": "oa_profile",
                "app_id": self.app_id,
                "timestamp": timestamp,
            }
        else:
            event = {
                "app_id": self.app_id,
                "sender": {"id": user_id},
                "user_id_by_app": f"app-{user_id}",
                "recipient": {"id": self.oa_id},
                "event_name": name,
                "timestamp": timestamp,
            }
        event.update(fields)
        user = self.user(user_id)
        user.following = name != "unfollow"
        if name.startswith("user_") or name == "follow":
            user.last_interaction = self.clock.now()
        return event

    def text_event(self, user_id: str, text: str) -> dict[str, Any]:
        """A ``user_send_text`` event with a fresh msg_id."""
        return self.event("user_send_text", user_id, message={"text": text, "msg_id": self._mid()})

    def image_event(self, user_id: str, data: bytes, caption: str = "") -> dict[str, Any]:
        """A ``user_send_image`` event; the photo is served at the URL it carries."""
        url = self.host_file(data, "image.jpg")
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        message = {"msg_id": self._mid(), "text": caption, "attachments": [attachment]}
        return self.event("user_send_image", user_id, message=message)

    def file_event(
        self, user_id: str, data: bytes, name: str, *, size: int | None = None
    ) -> dict[str, Any]:
        """A ``user_send_file`` event (Zalo gives the size as a string); ``size`` overrides
        the announced size, for a huge file without making one."""
        url = self.host_file(data, name)
        payload = {"url": url, "name": name, "size": str(len(data) if size is None else size)}
        attachment = {"type": "file", "payload": {**payload, "type": name.rsplit(".", 1)[-1]}}
        message = {"msg_id": self._mid(), "attachments": [attachment]}
        return self.event("user_send_file", user_id, message=message)

    def host_file(self, data: bytes, name: str) -> str:
        """Serve ``data`` as Zalo's CDN would; its URL."""
        path = f"/cdn/{len(self.files) + 1}/{name}"
        self.files[path] = data
        return str(self._server.make_url(path))

    def tap_event(self, user_id: str, title: str) -> dict[str, Any]:
        """What tapping a query button under the user's latest message sends: its payload as
        text (``user_send_text``)."""
        for message in reversed(self.sent_to(user_id)):
            for button in message.buttons:
                if button["title"] == title and button["type"].startswith("oa.query."):
                    return self.text_event(user_id, button["payload"])
            break
        raise LookupError(f"no query button {title!r} under the last message to {user_id}")

    def sign(self, body: bytes, timestamp: str, *, secret: str | None = None) -> str:
        """The ``X-ZEvent-Signature`` value Zalo would send."""
        key = self.oa_secret if secret is None else secret
        mac = hashlib.sha256(
            self.app_id.encode() + body + timestamp.encode() + key.encode()
        ).hexdigest()
        return f"mac={mac}"

    async def emit(
        self,
        event: dict[str, Any],
        *,
        times: int = 1,
        signature: str | None = None,
        body: bytes | None = None,
    ) -> Delivery:
        """POST an event to the bot like Zalo: signed, retried on non-200, ``times`` deliveries
        on purpose (re-delivery of an event already acknowledged)."""
        raw = json.dumps(event, ensure_ascii=False).encode() if body is None else body
        header = signature or self.sign(raw, str(event.get("timestamp", "")))
        delivery = Delivery()
        for _ in range(times):
            for _attempt in range(1 + self.webhook_retries):
                status = await self.post(raw, {"X-ZEvent-Signature": header})
                delivery.statuses.append(status)
                if status == 200:
                    break
        return delivery

    async def post(self, body: bytes, headers: dict[str, str]) -> int:
        """One raw POST to the bot's webhook, once, with exactly these extra headers."""
        assert self._session is not None and self.webhook_url, "start the fake, set webhook_url"
        headers = {"Content-Type": "application/json", **headers}
        async with self._session.post(self.webhook_url, data=body, headers=headers) as response:
            return response.status

    def _mid(self) -> str:
        return f"{secrets.token_hex(10)}{next(self._ids)}"

    # --- the OA API ------------------------------------------------------------------------

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._message_cs)
        app.router.add_get("/cdn/{number}/{name}", self._cdn)
        app.router.add_post("/v3.0/oa/message/template", self._message_template)
        app.router.add_post("/v4/oa/access_token", self._access_token)
        return app

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self.files.get(request.path)
        if data is None:
            return web.Response(status=404)
        self.downloads.append(request.path)
        return web.Response(body=data, content_type="application/octet-stream")

    def _error(self, code: int, field_name: str = "") -> web.Response:
        self.rejected.append(code)
        message = MESSAGES.get(code, "Unknown error").format(field_name)
        return web.json_response({"error": code, "message": message})

    def _auth_error(self, request: web.Request) -> int | None:
        token = request.headers.get("access_token", "")
        self.tokens_used.append(token)
        expiry = self._access.get(token)
        if expiry is None:
            return -216
        if expiry <= self.clock.now():
            return -220
        return None

    async def _json(self, request: web.Request) -> dict[str, Any] | None:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    async def _accepted(self, request: web.Request) -> dict[str, Any] | web.Response:
        """A send call's JSON body, or the error Zalo answers before looking at its content."""
        if code := self._auth_error(request):
            return self._error(code)
        if self._injected and (injected := self._injected.popleft()) is not None:
            return self._error(injected)
        body = await self._json(request)
        return self._error(-201, "body") if body is None else body

    async def _message_cs(self, request: web.Request) -> web.Response:
        body = await self._accepted(request)
        if isinstance(body, web.Response):
            return body
        recipient = body.get("recipient")
        user_id = recipient.get("user_id") if isinstance(recipient, dict) else None
        if not isinstance(user_id, str) or not user_id:
            return self._error(-201, "user_id")
        user = self.users.get(user_id)
        if user is None or user.last_interaction is None:
            return self._error(-232)
        if user.banned:
            return self._error(-227)
        if user.blocked:
            return self._error(-217)
        if not user.following:
            return self._error(-213)
        if self.clock.now() - user.last_interaction > WINDOW:
            return self._error(-230)
        message = body.get("message")
        if not isinstance(message, dict):
            return self._error(-201, "message")
        text = message.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 2000:
            return self._error(-201, "text")
        buttons = _buttons(message.get("attachment"))
        if buttons is None:
            return self._error(-201, "attachment")
        return await self._record(SentMessage(user_id, text, buttons, "cs"))

    async def _message_template(self, request: web.Request) -> web.Response:
        body = await self._accepted(request)
        if isinstance(body, web.Response):
            return body
        user_id, template_id = body.get("user_id"), body.get("template_id")
        if not isinstance(user_id, str) or user_id not in self.users:
            return self._error(-201, "user_id")
        if not isinstance(template_id, str) or not isinstance(body.get("template_data"), dict):
            return self._error(-201, "template_id")
        return await self._record(
            SentMessage(user_id, json.dumps(body["template_data"]), [], "template")
        )

    async def _record(self, message: SentMessage) -> web.Response:
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()
        now = str(int(self.clock.now().timestamp() * 1000))
        data = {"message_id": self._mid(), "user_id": message.user_id, "sent_time": now}
        return web.json_response({"data": data, "error": 0, "message": "Success"})

    async def _access_token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret:
            return web.json_response(
                {"error": -14002, "error_name": "Invalid app secret", "error_reason": ""}
            )
        if form.get("app_id") != self.app_id or form.get("grant_type") != "refresh_token":
            return web.json_response(
                {"error": -14001, "error_name": "Invalid parameter", "error_reason": ""}
            )
        refresh = form.get("refresh_token")
        if not isinstance(refresh, str) or refresh not in self._refresh:
            return web.json_response(
                {"error": -14014, "error_name": "Invalid refresh token", "error_reason": ""}
            )
        self._refresh.discard(refresh)  # single use: the old refresh token dies here
        await asyncio.sleep(self.oauth_delay)
        access, new_refresh = self.issue_tokens()
        async with self._changed:
            self.refreshes += 1
            self._changed.notify_all()
        expires_in = str(int(self.token_ttl.total_seconds()))
        return web.json_response(
            {"access_token": access, "refresh_token": new_refresh, "expires_in": expires_in}
        )


def _buttons(attachment: object) -> list[dict[str, Any]] | None:
    """The buttons of a text message's template attachment; None if they break Zalo's rules."""
    if attachment is None:
        return []
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return None
    payload = attachment.get("payload")
    buttons = payload.get("buttons") if isinstance(payload, dict) else None
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 5:
        return None
    return buttons if all(_valid_button(button) for button in buttons) else None


def _valid_button(button: object) -> bool:
    """Zalo's rules for one button: known type, title ≤100, payload shaped for its type."""
    if not isinstance(button, dict) or button.get("type") not in BUTTON_TYPES:
        return False
    title, value = button.get("title"), button.get("payload")
    if not isinstance(title, str) or not 1 <= len(title) <= 100:
        return False
    if button["type"].startswith("oa.query."):
        return isinstance(value, str) and 1 <= len(value) <= 1000
    if button["type"] == "oa.open.url":
        return isinstance(value, dict) and str(value.get("url", "")).startswith("http")
    return isinstance(value, dict)
