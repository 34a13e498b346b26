"""Zalo webhook events turned into platform-neutral ``IncomingMessage`` values.

Zalo posts one event per call. A button tap arrives as an ordinary ``user_send_text`` whose text
is the button's payload, so the adapter sends payloads with a ``#`` prefix no citizen types by
accident and recognises them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, TypeVar

from pydantic import BeforeValidator, StringConstraints

from dialogs.messages import Attachment, ConversationRef, IncomingMessage
from integrations.http_input import (
    EpochMillis,
    Lenient,
    PlatformId,
    PlatformText,
    PlatformUrl,
    from_millis,
    validate,
)

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


T = TypeVar("T")


class MalformedEvent(ValueError):
    """The body is not a Zalo event this adapter can read."""


@dataclass(frozen=True, slots=True)
class Event:
    """One webhook event: its dedupe key, and the message it carries (None: nothing to do)."""

    name: str
    key: str
    message: IncomingMessage | None


def _size(value: object) -> int | None:
    """Zalo sends file sizes as strings or numbers; anything else is unknown."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) < 19:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53:
        return value
    return None


class _Party(Lenient):
    id: PlatformId


class _FilePayload(Lenient):
    url: PlatformUrl = ""
    name: PlatformText = ""
    size: Annotated[int | None, BeforeValidator(_size)] = None


class _Attachment(Lenient):
    payload: _FilePayload | None = None


class _Message(Lenient):
    msg_id: PlatformId | None = None
    text: PlatformText | None = None
    attachments: list[_Attachment] | None = None


class ZaloEvent(Lenient):
    """The fields of a webhook event that motcua keeps, each checked (see ``http_input``)."""

    event_name: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    timestamp: EpochMillis
    sender: _Party | None = None
    follower: _Party | None = None
    message: _Message | None = None


def parse(body: bytes) -> Event:
    """Read one event from a signed body.

    Raises:
        integrations.http_input.Refused: the body is not JSON or a field has the wrong type.
        MalformedEvent: a field this kind of event needs is missing.
    """
    data = validate(ZaloEvent, body)
    name, timestamp = data.event_name, data.timestamp
    if name.startswith("oa_send_"):
        # Our own messages echoed back: answering them would loop.
        return Event(name, f"{name}:{timestamp}", None)
    if name in ("follow", "unfollow"):
        user = _required(data.follower, "follower").id
        key = f"{name}:{user}:{timestamp}"
        message = _incoming(user, timestamp, key, text=FOLLOW_TEXT) if name == "follow" else None
        return Event(name, key, message)
    user = _required(data.sender, "sender").id
    if name == "user_send_text" or name in _ATTACHMENT_KINDS:
        body_ = _required(data.message, "message")
        msg_id = _required(body_.msg_id, "message.msg_id")
        return Event(name, msg_id, _message(name, user, timestamp, msg_id, body_))
    # user_submit_info answers a form we never send, and it carries personal data we have no
    # use for; stickers, locations and the rest have nothing the conversations understand.
    other_id = data.message.msg_id if data.message is not None else None
    return Event(name, other_id or f"{name}:{user}:{timestamp}", None)


def _message(name: str, user: str, timestamp: int, msg_id: str, body: _Message) -> IncomingMessage:
    """The message a user_send_* event carries."""
    text = body.text
    if name == "user_send_text":
        if text is None:
            raise MalformedEvent("message.text is missing")
        if text.startswith(PAYLOAD_PREFIX) and len(text) > len(PAYLOAD_PREFIX):
            return _incoming(user, timestamp, msg_id, payload=text[len(PAYLOAD_PREFIX) :])
        return _incoming(user, timestamp, msg_id, text=text)
    if not body.attachments:
        raise MalformedEvent("message.attachments is missing")
    payload = _required(body.attachments[0].payload, "attachment payload")
    attachment = Attachment(
        kind=_ATTACHMENT_KINDS[name], url=payload.url, name=payload.name, size=payload.size
    )
    return _incoming(user, timestamp, msg_id, text=text or None, attachment=attachment)


def _incoming(
    user: str,
    timestamp: int,
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
        received_at=from_millis(timestamp),
    )


def _required(value: T | None, name: str) -> T:
    if value is None:
        raise MalformedEvent(f"{name} is missing")
    return value
