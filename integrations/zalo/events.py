"""Zalo webhook events turned into platform-neutral ``IncomingMessage`` values.

Zalo posts one event per call. A button tap arrives as an ordinary ``user_send_text`` whose text
is the button's payload, so the adapter sends payloads with a ``#`` prefix no citizen types by
accident and recognises them here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dialogs.messages import Attachment, ConversationRef, IncomingMessage

CHANNEL = "zalo"
PAYLOAD_PREFIX = "#"
FOLLOW_TEXT = "/start"  # a new follower gets the welcome menu, as if they had said hello

_ATTACHMENT_KINDS = {
    "user_send_image": "image",
    "user_send_gif": "image",
    "user_send_file": "file",
    "user_send_audio": "file",
    "user_send_video": "file",
}


class MalformedEvent(ValueError):
    """The body is not a Zalo event this adapter can read."""


@dataclass(frozen=True, slots=True)
class Event:
    """One webhook event: its dedupe key, and the message it carries (None: nothing to do)."""

    name: str
    key: str
    message: IncomingMessage | None


def load(body: bytes) -> dict[str, Any]:
    """The JSON object of a webhook body, or ``MalformedEvent``."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEvent("body is not JSON") from exc
    if not isinstance(data, dict):
        raise MalformedEvent("body is not a JSON object")
    return data


def timestamp_of(data: dict[str, Any]) -> str | None:
    """The event's ``timestamp`` as Zalo signed it (a string of epoch milliseconds)."""
    value = data.get("timestamp")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def parse(data: dict[str, Any]) -> Event:
    """Read one event; ``MalformedEvent`` when a field it needs is missing or of the wrong type."""
    name = _str(data, "event_name")
    timestamp = timestamp_of(data)
    if timestamp is None or not timestamp.isdigit():
        raise MalformedEvent("timestamp is missing")
    if name.startswith("oa_send_"):
        # Our own messages echoed back: answering them would loop.
        return Event(name, f"{name}:{timestamp}", None)
    if name in ("follow", "unfollow"):
        user = _str(_obj(data, "follower"), "id")
        key = f"{name}:{user}:{timestamp}"
        message = _incoming(user, timestamp, key, text=FOLLOW_TEXT) if name == "follow" else None
        return Event(name, key, message)
    user = _str(_obj(data, "sender"), "id")
    if name == "user_send_text" or name in _ATTACHMENT_KINDS:
        body = _obj(data, "message")
        msg_id = _str(body, "msg_id")
        message = _message(name, user, timestamp, msg_id, body)
        return Event(name, msg_id, message)
    # user_submit_info answers a form we never send, and it carries personal data we have no
    # use for; stickers, locations and the rest have nothing the conversations understand.
    other = data.get("message")
    other_id = other.get("msg_id") if isinstance(other, dict) else None
    key = other_id if isinstance(other_id, str) and other_id else f"{name}:{user}:{timestamp}"
    return Event(name, key, None)


def _message(
    name: str, user: str, timestamp: str, msg_id: str, body: dict[str, Any]
) -> IncomingMessage:
    """The message a user_send_* event carries."""
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        raise MalformedEvent("message.text is not a string")
    if name == "user_send_text":
        if text is None:
            raise MalformedEvent("message.text is missing")
        if text.startswith(PAYLOAD_PREFIX) and len(text) > len(PAYLOAD_PREFIX):
            return _incoming(user, timestamp, msg_id, payload=text[len(PAYLOAD_PREFIX) :])
        return _incoming(user, timestamp, msg_id, text=text)
    attachments = body.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        raise MalformedEvent("message.attachments is missing")
    payload = attachments[0].get("payload") if isinstance(attachments[0], dict) else None
    if not isinstance(payload, dict):
        raise MalformedEvent("attachment payload is missing")
    attachment = Attachment(
        kind=_ATTACHMENT_KINDS[name],
        url=_optional_str(payload, "url"),
        name=_optional_str(payload, "name"),
        size=_size(payload.get("size")),
    )
    return _incoming(user, timestamp, msg_id, text=text or None, attachment=attachment)


def _incoming(
    user: str,
    timestamp: str,
    message_id: str,
    *,
    text: str | None = None,
    payload: str | None = None,
    attachment: Attachment | None = None,
) -> IncomingMessage:
    """An ``IncomingMessage`` from the Zalo user ``user`` (Zalo gives no language code)."""
    return IncomingMessage(
        ref=ConversationRef(CHANNEL, user),
        text=text,
        payload=payload,
        attachment=attachment,
        message_id=message_id,
        received_at=datetime.fromtimestamp(int(timestamp) / 1000, tz=UTC),
    )


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise MalformedEvent(f"{key} is missing")
    return value


def _str(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise MalformedEvent(f"{key} is missing")
    return value


def _optional_str(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


def _size(value: object) -> int | None:
    """Zalo sends file sizes as strings or numbers; anything else is unknown."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None
