"""Messenger webhook wire format: the signature check and the event envelope, as pure functions.

Meta signs the raw request body (already ``\\uXXXX``-escaped) with the app secret, so the bytes
received are hashed as they are and never re-serialised before checking.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from dialogs.messages import Attachment, ConversationRef, IncomingMessage

CHANNEL = "messenger"
SIGNATURE_HEADER = "X-Hub-Signature-256"

# Events the page itself caused, or receipts; they never open the window nor reach the dialogs.
_RECEIPTS = ("delivery", "read")
_ATTACHMENT_KINDS = {"image": "image", "file": "file", "audio": "file", "video": "file"}


class MalformedWebhook(ValueError):
    """The body is not a Messenger page webhook; answered with 400 and nothing is processed."""


@dataclass(frozen=True, slots=True)
class UserEvent:
    """Something a user did on the page: it opens the 24-hour window, and may carry a message.

    ``messages`` is empty for actions the dialogs do not understand (a shared location, a
    reaction) which still count as the user reaching out.
    """

    psid: str
    at: datetime
    messages: tuple[IncomingMessage, ...]


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body under the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


def parse_webhook(body: bytes) -> list[UserEvent]:
    """Every user event of a webhook body, in delivery order across all batched entries.

    Raises:
        MalformedWebhook: the body is not JSON, not a page object, or an entry or event has
            the wrong shape; the whole body is rejected so nothing is half-processed.
    """
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedWebhook("body is not JSON") from exc
    if not isinstance(data, dict) or data.get("object") != "page":
        raise MalformedWebhook("not a page webhook")
    entries = data.get("entry")
    if not isinstance(entries, list):
        raise MalformedWebhook("entry is not a list")
    events: list[UserEvent] = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("messaging", []), list):
            raise MalformedWebhook("entry has no messaging list")
        for raw in entry.get("messaging", []):
            event = _user_event(raw)
            if event is not None:
                events.append(event)
    return events


def _user_event(raw: Any) -> UserEvent | None:
    """One messaging event as a user event, or None for echoes, receipts and guest senders."""
    if not isinstance(raw, dict):
        raise MalformedWebhook("messaging event is not an object")
    message = raw.get("message")
    if isinstance(message, dict) and message.get("is_echo"):
        return None
    if any(key in raw for key in _RECEIPTS):
        return None
    sender = raw.get("sender")
    if not isinstance(sender, dict):
        raise MalformedWebhook("messaging event has no sender")
    psid = sender.get("id")
    if not isinstance(psid, str) or not psid:
        # Chat-plugin guests carry ``user_ref`` instead of a PSID; they cannot be answered
        # through the PSID-based conversation store, so they are left out.
        return None
    timestamp = raw.get("timestamp")
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        raise MalformedWebhook("messaging event has no timestamp")
    at = datetime.fromtimestamp(timestamp / 1000, tz=UTC)
    ref = ConversationRef(CHANNEL, psid)
    if isinstance(message, dict):
        messages = _from_message(ref, message, at)
    elif isinstance(raw.get("postback"), dict):
        messages = _from_postback(ref, raw["postback"], at, timestamp)
    else:
        messages = ()
    return UserEvent(psid, at, messages)


def _from_message(
    ref: ConversationRef, message: Mapping[str, Any], at: datetime
) -> tuple[IncomingMessage, ...]:
    """Text, a quick-reply tap, or attachments (one incoming message per attachment)."""
    mid = _str(message.get("mid"))
    quick_reply = message.get("quick_reply")
    if isinstance(quick_reply, dict) and _str(quick_reply.get("payload")):
        payload = _str(quick_reply.get("payload"))
        return (IncomingMessage(ref, payload=payload, message_id=mid, received_at=at),)
    text = _str(message.get("text"))
    if text:
        return (IncomingMessage(ref, text=text, message_id=mid, received_at=at),)
    attachments = message.get("attachments")
    if not isinstance(attachments, list):
        return ()
    found: list[IncomingMessage] = []
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("type") not in _ATTACHMENT_KINDS:
            continue
        payload = attachment.get("payload")
        if isinstance(payload, dict) and "sticker_id" in payload:
            continue  # a sticker (often the thumbs-up) is a reaction, not a document photo
        url = _str(payload.get("url")) if isinstance(payload, dict) else None
        # One mid covers every attachment of the message; later ones get a suffix so the
        # dispatcher's deduplication does not drop them.
        message_id = mid if not found or mid is None else f"{mid}#{len(found)}"
        found.append(
            IncomingMessage(
                ref,
                attachment=Attachment(_ATTACHMENT_KINDS[attachment["type"]], url=url or ""),
                message_id=message_id,
                received_at=at,
            )
        )
    return tuple(found)


def _from_postback(
    ref: ConversationRef, postback: Mapping[str, Any], at: datetime, timestamp: float
) -> tuple[IncomingMessage, ...]:
    """A button-template or menu tap; postbacks before Graph v11.0 carry no mid."""
    payload = _str(postback.get("payload"))
    if not payload:
        return ()
    mid = _str(postback.get("mid")) or f"postback:{ref.user_id}:{int(timestamp)}"
    return (IncomingMessage(ref, payload=payload, message_id=mid, received_at=at),)


def _str(value: object) -> str | None:
    """The value if it is a non-empty string (payloads may be numbers on the wire)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None
