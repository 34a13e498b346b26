"""The web chat's JSON API: validating what the page sends and shaping what it gets back.

Every rejection names the problem in Vietnamese and English and happens before anything is
stored or handled, so bad input changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from dialogs.messages import Button, Reply
from integrations.webchat.history import Entry

MAX_BODY_BYTES = 16 * 1024
MAX_TEXT_BYTES = 4 * 1024
MAX_HISTORY = 200

_USER_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


class ApiError(Exception):
    """A request the API refuses: an HTTP status, a stable code and a readable message."""

    def __init__(self, status: int, code: str, vi: str, en: str) -> None:
        self.message = f"{vi} / {en}"
        super().__init__(self.message)
        self.status = status
        self.code = code

    def body(self) -> dict[str, str]:
        """The JSON body sent back to the page."""
        return {"error": self.message, "code": self.code}


def not_json() -> ApiError:
    """The refusal of a body not declared as JSON."""
    return ApiError(
        415,
        "not_json",
        "Yêu cầu phải có Content-Type: application/json.",
        "Send the body as Content-Type: application/json.",
    )


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """One valid message from the page: typed text or a pressed button's payload."""

    user: str
    text: str | None
    button: str | None
    message_id: str | None
    locale: str | None


def parse_chat(raw: bytes) -> ChatRequest:
    """Validate a ``POST /api/chat`` body; raises ApiError with what is wrong."""
    if len(raw) > MAX_BODY_BYTES:
        raise ApiError(
            413,
            "body_too_large",
            "Yêu cầu quá lớn (tối đa 16 kB).",
            "Request body too large (16 kB at most).",
        )
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise ApiError(
            400, "bad_json", "Yêu cầu không phải JSON hợp lệ.", "The body is not valid JSON."
        ) from None
    if not isinstance(data, dict):
        raise ApiError(
            400,
            "bad_json",
            "Yêu cầu phải là một đối tượng JSON.",
            "The body must be a JSON object.",
        )
    user = parse_user(data.get("user"))
    text, button = data.get("text"), data.get("button")
    if (text is None) == (button is None):
        raise ApiError(
            400,
            "text_or_button",
            "Cần đúng một trong hai trường 'text' hoặc 'button'.",
            "Send exactly one of 'text' or 'button'.",
        )
    value = text if text is not None else button
    if not isinstance(value, str):
        raise ApiError(
            400,
            "bad_type",
            "'text' và 'button' phải là chuỗi.",
            "'text' and 'button' must be strings.",
        )
    # Lone surrogates (valid in JSON, not in UTF-8) would break storage further on.
    value = value.encode("utf-8", "replace").decode("utf-8")
    if len(value.encode("utf-8")) > MAX_TEXT_BYTES:
        raise ApiError(
            413,
            "text_too_long",
            "Tin nhắn quá dài (tối đa 4 kB).",
            "Message too long (4 kB at most).",
        )
    if not value.strip():
        raise ApiError(400, "empty", "Tin nhắn đang trống.", "The message is empty.")
    return ChatRequest(
        user=user,
        text=value if text is not None else None,
        button=value if button is not None else None,
        message_id=_optional(data, "id", _MESSAGE_ID),
        locale=_optional(data, "locale", _LOCALE),
    )


def parse_user(value: object) -> str:
    """Check an anonymous user id as the page generates it (8 to 64 letters, digits, - or _)."""
    if not isinstance(value, str) or not _USER_ID.fullmatch(value):
        raise ApiError(
            400,
            "bad_user",
            "Mã người dùng không hợp lệ (8–64 chữ cái, chữ số, - hoặc _).",
            "Invalid user id (8-64 letters, digits, - or _).",
        )
    return value


def parse_after(value: str | None) -> int:
    """The history cursor: a non-negative sequence number, 0 when absent."""
    if value is None or value == "":
        return 0
    if not value.isdigit() or len(value) > 18:
        raise ApiError(
            400,
            "bad_after",
            "'after' phải là số nguyên không âm.",
            "'after' must be a whole number.",
        )
    return int(value)


def _optional(data: dict[str, Any], key: str, pattern: re.Pattern[str]) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ApiError(
            400, f"bad_{key}", f"Trường '{key}' không hợp lệ.", f"Invalid '{key}' field."
        )
    return value


def button_json(button: Button) -> dict[str, str | None]:
    """A button as the page renders it."""
    return {"label": button.label, "payload": button.payload, "url": button.url}


def reply_json(reply: Reply) -> dict[str, Any]:
    """A reply as the API returns it: text and buttons."""
    return {"text": reply.text, "buttons": [button_json(b) for b in reply.buttons]}


def entry_json(entry: Entry) -> dict[str, Any]:
    """A transcript entry as the page renders it, with its sequence number."""
    return {
        "seq": entry.seq,
        "role": entry.role,
        "text": entry.text,
        "buttons": [button_json(b) for b in entry.buttons],
    }
