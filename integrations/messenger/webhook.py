"""Messenger webhook wire format: the signature check and the event envelope, as pure functions.

Meta signs the raw request body (already ``\\uXXXX``-escaped) with the app secret, so the bytes
received are hashed as they are and never re-serialised before checking, and nothing parses
them before the signature holds.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from dialogs.messages import Attachment, ConversationRef, IncomingMessage
from integrations.http_input import (
    EpochMillis,
    Lenient,
    Payload,
    PlatformId,
    PlatformText,
    PlatformUrl,
    from_millis,
    validate,
)

CHANNEL = "messenger"
SIGNATURE_HEADER = "X-Hub-Signature-256"

# Events the page itself caused, or receipts; they never open the window nor reach the dialogs.
_RECEIPTS = ("delivery", "read")
_ATTACHMENT_KINDS = {"image": "image", "file": "file", "audio": "file", "video": "file"}


@dataclass(frozen=True, slots=True)
class UserEvent:
    """Something a user did on the page: it opens the 24-hour window, and may carry a message.

    ``messages`` is empty for actions the dialogs do not understand (a shared location, a
    reaction) which still count as the user reaching out.
    """

    psid: str
    at: datetime
    messages: tuple[IncomingMessage, ...]


def _number_as_text(value: object) -> object:
    """Payloads and ids may be numbers on the wire; they are kept as their text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


WireId = Annotated[PlatformId, BeforeValidator(_number_as_text)]
WirePayload = Annotated[Payload, BeforeValidator(_number_as_text)]


class _Sender(Lenient):
    # Chat-plugin guests carry ``user_ref`` instead of a PSID.
    id: PlatformId | None = None


class _QuickReply(Lenient):
    payload: WirePayload | None = None


class _FilePayload(Lenient):
    url: PlatformUrl | None = None
    sticker_id: Any = None


class _Attachment(Lenient):
    type: str | None = None
    payload: _FilePayload | None = None


class _Message(Lenient):
    mid: WireId | None = None
    is_echo: bool = False
    text: PlatformText | None = None
    quick_reply: _QuickReply | None = None
    attachments: list[_Attachment] | None = None


class _Postback(Lenient):
    mid: WireId | None = None
    payload: WirePayload | None = None


class _Messaging(Lenient):
    sender: _Sender
    timestamp: EpochMillis
    message: _Message | None = None
    postback: _Postback | None = None


class _Entry(Lenient):
    messaging: tuple[_Messaging, ...] = ()


class PageWebhook(Lenient):
    """The fields of a page webhook that motcua keeps, each checked (see ``http_input``)."""

    object: Literal["page"]
    entry: tuple[_Entry, ...]


def signature_valid(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether ``X-Hub-Signature-256`` is the HMAC-SHA256 of the raw body under the app secret."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest().encode()
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forger may send.
    given = header.removeprefix("sha256=").strip().lower().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(expected, given)


def parse_webhook(body: bytes) -> list[UserEvent]:
    """Every user event of a webhook body, in delivery order across all batched entries.

    Raises:
        integrations.http_input.Refused: the body is not JSON, not a page object, or an entry
            or event has the wrong shape; the whole body is rejected so nothing is
            half-processed.
    """
    webhook = validate(PageWebhook, body)
    return [
        event
        for entry in webhook.entry
        for raw in entry.messaging
        if (event := _user_event(raw)) is not None
    ]


def _user_event(raw: _Messaging) -> UserEvent | None:
    """One messaging event as a user event, or None for echoes, receipts and guest senders."""
    message = raw.message
    if message is not None and message.is_echo:
        return None
    if any(key in (raw.model_extra or {}) for key in _RECEIPTS):
        return None
    psid = raw.sender.id
    if psid is None:
        # Guests cannot be answered through the PSID-based conversation store.
        return None
    at = from_millis(raw.timestamp)
    ref = ConversationRef(CHANNEL, psid)
    if message is not None:
        messages = _from_message(ref, message, at)
    elif raw.postback is not None:
        messages = _from_postback(ref, raw.postback, at, raw.timestamp)
    else:
        messages = ()
    return UserEvent(psid, at, messages)


def _from_message(
    ref: ConversationRef, message: _Message, at: datetime
) -> tuple[IncomingMessage, ...]:
    """Text, a quick-reply tap, or attachments (one incoming message per attachment)."""
    mid = message.mid
    if message.quick_reply is not None and message.quick_reply.payload:
        tapped = message.quick_reply.payload
        return (IncomingMessage(ref, payload=tapped, message_id=mid, received_at=at),)
    if message.text:
        return (IncomingMessage(ref, text=message.text, message_id=mid, received_at=at),)
    found: list[IncomingMessage] = []
    for attachment in message.attachments or ():
        kind = _ATTACHMENT_KINDS.get(attachment.type or "")
        if kind is None:
            continue
        payload = attachment.payload
        if payload is not None and payload.sticker_id is not None:
            continue  # a sticker (often the thumbs-up) is a reaction, not a document photo
        # One mid covers every attachment of the message; later ones get a suffix so the
        # dispatcher's deduplication does not drop them.
        message_id = mid if not found or mid is None else f"{mid}#{len(found)}"
        found.append(
            IncomingMessage(
                ref,
                attachment=Attachment(kind, url=(payload.url if payload else None) or ""),
                message_id=message_id,
                received_at=at,
            )
        )
    return tuple(found)


def _from_postback(
    ref: ConversationRef, postback: _Postback, at: datetime, timestamp: int
) -> tuple[IncomingMessage, ...]:
    """A button-template or menu tap; postbacks before Graph v11.0 carry no mid."""
    if not postback.payload:
        return ()
    mid = postback.mid or f"postback:{ref.user_id}:{timestamp}"
    return (IncomingMessage(ref, payload=postback.payload, message_id=mid, received_at=at),)
