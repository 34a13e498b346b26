"""A fake Facebook Graph API: the Messenger Send API with its real limits and errors, and the
webhook side (signed, ASCII-escaped deliveries with retries, duplicates and reordering).

It listens on a real local port so the adapter talks to it over HTTP exactly as it would talk to
graph.facebook.com, and it keeps the 24-hour window per PSID from the events it emitted.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from support.clock import ManualClock

PAGE_ID = "108112345678901"
WINDOW = timedelta(hours=24)
TAGS = {
    "ACCOUNT_UPDATE",
    "CONFIRMED_EVENT_UPDATE",
    "POST_PURCHASE_UPDATE",
    "HUMAN_AGENT",
    "CUSTOMER_FEEDBACK",
}
SENDER_ACTIONS = {"typing_on", "typing_off", "mark_seen", "react", "unreact"}
QUICK_REPLY_TYPES = {"text", "user_phone_number", "user_email"}

# Graph's own wording for the errors the fake reproduces (code, subcode, message).
ERRORS: dict[int, tuple[int | None, str]] = {
    2: (None, "An unexpected error has occurred. Please retry your request later."),
    4: (2018022, "(#4) Application request limit reached"),
    10: (2018278, "(#10) This message is sent outside of allowed window."),
    190: (None, "Invalid OAuth access token - Cannot parse access token"),
    551: (1545041, "(#551) This person isn't available right now."),
    613: (None, "(#613) Calls to this api have exceeded the rate limit."),
    1200: (None, "(#1200) Temporary send message failure. Please try again later"),
}


@dataclass(frozen=True)
class SentMessage:
    """One message the fake accepted, as the page sent it."""

    psid: str
    messaging_type: str
    tag: str | None
    message: dict[str, Any]
    message_id: str

    @property
    def text(self) -> str:
        """The text shown to the user, from a plain message or a button template."""
        if "text" in self.message:
            return str(self.message["text"])
        return str(self.message["attachment"]["payload"]["text"])

    @property
    def template_buttons(self) -> list[dict[str, Any]]:
        """The button template's buttons, if the message is one."""
        if "attachment" in self.message:
            return list(self.message["attachment"]["payload"]["buttons"])
        return []

    @property
    def quick_replies(self) -> list[dict[str, Any]]:
        """The quick replies offered under the message."""
        return list(self.message.get("quick_replies", []))

    @property
    def titles(self) -> list[str]:
        """Every button title the user sees: template buttons, then quick replies."""
        return [b["title"] for b in [*self.template_buttons, *self.quick_replies]]

    @property
    def payloads(self) -> list[str]:
        """What tapping each postback button or quick reply sends back, in order."""
        buttons = [*self.template_buttons, *self.quick_replies]
        return [b["payload"] for b in buttons if "payload" in b]


class GraphError(Exception):
    """A Graph API error answer."""

    def __init__(self, code: int, message: str, subcode: int | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.subcode = code, message, subcode

    @classmethod
    def known(cls, code: int) -> GraphError:
        """The error Graph returns for ``code``, with its usual subcode and wording."""
        subcode, message = ERRORS[code]
        return cls(code, message, subcode)

    def response(self) -> web.Response:
        """The HTTP 400 Graph answers with."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": "AfLpdQHj4s1h8w6MbvPPOUc",
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return web.json_response({"error": error}, status=400)


def _param(message: str) -> GraphError:
    return GraphError(100, f"(#100) {message}")


class FakeGraphApi:
    """The Send API at ``api_url`` and a webhook emitter aimed at ``webhook_url``."""

    def __init__(
        self,
        *,
        page_token: str,
        app_secret: str,
        clock: ManualClock,
        version: str = "v25.0",
        delivery_attempts: int = 3,
    ) -> None:
        self.page_token = page_token
        self.app_secret = app_secret
        self.clock = clock
        self.version = version
        self.delivery_attempts = delivery_attempts
        self.webhook_url = ""
        self.sent: list[SentMessage] = []
        self.send_calls = 0
        self.deliveries: list[int] = []  # HTTP status of every webhook POST made
        self.last_inbound: dict[str, datetime] = {}
        self.blocked: set[str] = set()
        self._injected: list[GraphError | None] = []  # None: answered as ever
        self.files: dict[str, bytes] = {}  # CDN path -> what users sent
        self.downloads: list[str] = []  # CDN paths fetched
        self._mids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.api_url = ""

    async def __aenter__(self) -> FakeGraphApi:
        app = web.Application()
        app.router.add_post(f"/{self.version}/me/messages", self._messages)
        app.router.add_post(f"/{self.version}/{PAGE_ID}/messages", self._messages)
        app.router.add_get("/cdn/{number}/attachment", self._cdn)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.api_url = f"http://127.0.0.1:{port}/{self.version}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- test controls ------------------------------------------------------------------------

    def fail_next(self, code: int, times: int = 1, *, after: int = 0) -> None:
        """Answer the next ``times`` Send API calls with Graph error ``code``, once ``after``
        of them have been answered as ever."""
        self._injected.extend([None] * after)
        self._injected.extend(GraphError.known(code) for _ in range(times))

    def messages_to(self, psid: str) -> list[SentMessage]:
        """What the page sent one user, in order."""
        return [m for m in self.sent if m.psid == psid]

    # -- the Send API -------------------------------------------------------------------------

    async def _cdn(self, request: web.Request) -> web.Response:
        data = self.files.get(request.path)
        if data is None:
            return web.Response(status=404)
        self.downloads.append(request.path)
        return web.Response(body=data, content_type="application/octet-stream")

    async def _messages(self, request: web.Request) -> web.Response:
        self.send_calls += 1
        try:
            return web.json_response(self._accept(request.query, await request.text()))
        except GraphError as error:
            return error.response()

    def _accept(self, query: Any, raw: str) -> dict[str, str]:
        if not hmac.compare_digest(query.get("access_token", ""), self.page_token):
            raise GraphError.known(190)
        try:
            body = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _param("Invalid JSON for postcard") from exc
        recipient = body.get("recipient")
        psid = recipient.get("id") if isinstance(recipient, dict) else None
        if not isinstance(psid, str) or not psid:
            raise _param("The parameter recipient is required")
        if self._injected and (injected := self._injected.pop(0)) is not None:
            raise injected
        if psid in self.blocked:
            raise GraphError.known(551)
        if psid not in self.last_inbound:
            raise GraphError(100, "(#100) No matching user found", 2018001)
        if "sender_action" in body:
            if body["sender_action"] not in SENDER_ACTIONS or "message" in body:
                raise _param("Param sender_action must be one of " + ", ".join(SENDER_ACTIONS))
            return {"recipient_id": psid}
        messaging_type = body.get("messaging_type")
        tag = body.get("tag")
        if messaging_type not in {"RESPONSE", "UPDATE", "MESSAGE_TAG"}:
            raise _param("Param messaging_type must be one of RESPONSE, UPDATE, MESSAGE_TAG")
        if messaging_type == "MESSAGE_TAG" and tag not in TAGS:
            raise _param("Param tag must be a valid message tag")
        message = body.get("message")
        if not isinstance(message, dict):
            raise _param("The parameter message is required")
        _check_message(message)
        if messaging_type != "MESSAGE_TAG" and self.clock.now() - self.last_inbound[psid] >= WINDOW:
            raise GraphError.known(10)
        message_id = f"m_fake{next(self._mids):06d}"
        self.sent.append(SentMessage(psid, messaging_type, tag, message, message_id))
        return {"recipient_id": psid, "message_id": message_id}

    # -- the webhook emitter ------------------------------------------------------------------

    def _event(self, psid: str, body: dict[str, Any]) -> dict[str, Any]:
        """A messaging event from ``psid`` at the fake's current time."""
        now = self.clock.now()
        if "delivery" not in body and "read" not in body and not _is_echo(body):
            self.last_inbound[psid] = max(self.last_inbound.get(psid, now), now)
        return {
            "sender": {"id": psid},
            "recipient": {"id": PAGE_ID},
            "timestamp": int(now.timestamp() * 1000),
            **body,
        }

    def text(self, psid: str, text: str) -> dict[str, Any]:
        """The user typed ``text``."""
        return self._event(psid, {"message": {"mid": self._mid(), "text": text}})

    def quick_reply(self, psid: str, title: str, payload: str) -> dict[str, Any]:
        """The user tapped a quick reply."""
        message = {"mid": self._mid(), "text": title, "quick_reply": {"payload": payload}}
        return self._event(psid, {"message": message})

    def postback(self, psid: str, title: str, payload: str) -> dict[str, Any]:
        """The user tapped a button-template (or menu) button."""
        return self._event(
            psid, {"postback": {"mid": self._mid(), "title": title, "payload": payload}}
        )

    def image(self, psid: str, url: str) -> dict[str, Any]:
        """The user sent a photo found at ``url``."""
        return self._attachment(psid, "image", url)

    def upload(self, psid: str, data: bytes, kind: str = "image") -> dict[str, Any]:
        """The user sent ``data`` as an ``image`` or a ``file``, served at the attachment URL
        the event carries, as Meta's CDN serves it."""
        path = f"/cdn/{len(self.files) + 1}/attachment"
        self.files[path] = data
        return self._attachment(psid, kind, self.api_url.rsplit("/", 1)[0] + path)

    def _attachment(self, psid: str, kind: str, url: str) -> dict[str, Any]:
        attachment = {"type": kind, "payload": {"url": url}}
        return self._event(psid, {"message": {"mid": self._mid(), "attachments": [attachment]}})

    def echo(self, psid: str, text: str) -> dict[str, Any]:
        """Meta's echo of a message the page sent (sender is the page)."""
        event = self._event(psid, {"message": {"mid": self._mid(), "is_echo": True, "text": text}})
        event["sender"], event["recipient"] = {"id": PAGE_ID}, {"id": psid}
        return event

    def delivery(self, psid: str, mids: Sequence[str]) -> dict[str, Any]:
        """The user's device received the page's messages."""
        watermark = int(self.clock.now().timestamp() * 1000)
        return self._event(psid, {"delivery": {"mids": list(mids), "watermark": watermark}})

    def read(self, psid: str) -> dict[str, Any]:
        """The user read the page's messages."""
        return self._event(psid, {"read": {"watermark": int(self.clock.now().timestamp() * 1000)}})

    def envelope(self, events: Iterable[dict[str, Any]], *, batched: bool = False) -> bytes:
        """The page webhook body as Meta sends it: ASCII-escaped JSON.

        ``batched`` puts each event in its own entry, as Meta does when it coalesces deliveries.
        """
        now = int(self.clock.now().timestamp() * 1000)
        events = list(events)
        groups = [[e] for e in events] if batched else [events]
        entries = [{"id": PAGE_ID, "time": now, "messaging": group} for group in groups]
        return json.dumps({"object": "page", "entry": entries}, ensure_ascii=True).encode()

    def signed_headers(self, body: bytes, secret: str | None = None) -> dict[str, str]:
        """Both signature headers Meta sends, under ``secret`` (the app secret by default)."""
        key = (secret or self.app_secret).encode()
        return {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest(),
            "X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
        }

    async def post_raw(self, body: bytes, headers: dict[str, str]) -> int:
        """One webhook POST, no retries; the HTTP status."""
        assert self._session is not None, "use FakeGraphApi as an async context manager"
        async with self._session.post(self.webhook_url, data=body, headers=headers) as response:
            await response.read()
            self.deliveries.append(response.status)
            return response.status

    async def deliver(
        self,
        events: Iterable[dict[str, Any]],
        *,
        batched: bool = False,
        twice: bool = False,
        secret: str | None = None,
    ) -> int:
        """Deliver events the way Meta does, retrying on non-200; the last HTTP status.

        ``twice`` sends the same body again after it was accepted (at-least-once delivery).
        """
        body = self.envelope(events, batched=batched)
        headers = self.signed_headers(body, secret)
        status = 0
        for _ in range(self.delivery_attempts):
            status = await self.post_raw(body, headers)
            if status == 200:
                break
        if twice and status == 200:
            status = await self.post_raw(body, headers)
        return status

    async def deliver_out_of_order(self, events: Sequence[dict[str, Any]]) -> None:
        """Deliver each event in its own request, latest first."""
        for event in reversed(events):
            await self.deliver([event])

    async def verify_subscription(self, verify_token: str, challenge: str) -> tuple[int, str]:
        """The GET handshake Meta makes when the webhook is subscribed: (status, body)."""
        assert self._session is not None, "use FakeGraphApi as an async context manager"
        params = {
            "hub.mode": "subscribe",
            "hub.verify_token": verify_token,
            "hub.challenge": challenge,
        }
        async with self._session.get(self.webhook_url, params=params) as response:
            return response.status, await response.text()

    def _mid(self) -> str:
        return f"m_in{next(self._mids):06d}"


def _is_echo(body: dict[str, Any]) -> bool:
    message = body.get("message")
    return isinstance(message, dict) and bool(message.get("is_echo"))


def _length(text: str) -> int:
    """Graph counts UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _check_message(message: dict[str, Any]) -> None:
    """The Send API's rules for a ``message`` object."""
    has_text, has_attachment = "text" in message, "attachment" in message
    if has_text == has_attachment:
        raise _param("Must send either message[text] or message[attachment]")
    if has_text:
        text = message["text"]
        if not isinstance(text, str) or not text:
            raise _param("Param message[text] must be a non-empty UTF-8 encoded string")
        if _length(text) >= 2000:
            raise _param("Length of param message[text] must be less than or equal to 2000")
    else:
        _check_template(message["attachment"])
    quick_replies = message.get("quick_replies")
    if quick_replies is None:
        return
    if not isinstance(quick_replies, list) or not 1 <= len(quick_replies) <= 13:
        raise _param("param message[quick_replies] must be an array of 1 to 13 elements")
    for quick_reply in quick_replies:
        if quick_reply.get("content_type") not in QUICK_REPLY_TYPES:
            raise _param("Param message[quick_replies][0][content_type] must be one of {TEXT}")
        if quick_reply["content_type"] == "text":
            _check_title(quick_reply.get("title"), "message[quick_replies][0][title]")
            _check_payload(quick_reply.get("payload"), "message[quick_replies][0][payload]")


def _check_template(attachment: Any) -> None:
    """A button template: text up to 640 characters and 1 to 3 buttons."""
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        raise _param("Param message[attachment][type] must be one of the supported types")
    payload = attachment.get("payload")
    if not isinstance(payload, dict) or payload.get("template_type") != "button":
        raise _param("Param message[attachment][payload][template_type] is not supported")
    text = payload.get("text")
    if not isinstance(text, str) or not 1 <= _length(text) <= 640:
        raise _param("param text must be non-empty UTF-8 encoded text of at most 640 characters")
    buttons = payload.get("buttons")
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        raise _param("param buttons must be an array of 1 to 3 elements")
    for button in buttons:
        _check_title(button.get("title"), "buttons[0][title]")
        if button.get("type") == "postback":
            _check_payload(button.get("payload"), "buttons[0][payload]")
        elif button.get("type") == "web_url":
            if not str(button.get("url", "")).startswith(("http://", "https://")):
                raise _param("Param buttons[0][url] must be a valid URL")
        else:
            raise _param("param buttons[0][type] must be one of postback, web_url")


def _check_title(title: Any, name: str) -> None:
    if not isinstance(title, str) or not title:
        raise _param(f"param {name} must be a non-empty UTF-8 encoded string")
    if _length(title) > 20:
        raise _param(f"param {name} has more than 20 characters")


def _check_payload(payload: Any, name: str) -> None:
    if isinstance(payload, int | float):
        payload = str(payload)
    if not isinstance(payload, str) or not payload:
        raise _param(f"param {name} must be a non-empty UTF-8 encoded string")
    if len(payload) > 1000:
        raise _param(f"param {name} has more than 1000 characters")
