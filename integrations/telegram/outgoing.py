"""``sendMessage`` with its body encoded once, and only the refusal read from the answer.

python-telegram-bot's ``Bot.send_message`` turns every parameter into a ``RequestParameter``
and encodes it again on each call, then parses the answer into a full ``Message``
(``Message.de_json``, a frozen ``TelegramObject.__setattr__`` per field) that the adapter
throws away: about 45 % of a sender's samples at 1,000 messages a second (a py-spy profile of
``python -m bench.broadcast``). A broadcast sends one text and keyboard to every subscriber,
and a chat reply is one text and keyboard too, so the parameters other than the chat are
encoded to JSON once (:class:`TextMessage`) and each send only puts the chat id in front
(``AiohttpRequest.post_json``). An accepted message's answer is not read at all: nothing in
it is used.

A refused one becomes the exception python-telegram-bot raises for it (:func:`refusal`, which
reads the answer as PTB's ``BaseRequest`` does), so what stays PTB's keeps working unchanged:
``errors.translate`` maps it (403 blocked, 429 ``retry_after``, 400 chat not found, 5xx) and
``AIORateLimiter`` retries a flood.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from dialogs.messages import Button


class TextMessage:
    """One text with its keyboard, for any chat: ``sendMessage``'s JSON body without ``chat_id``.

    Args:
        text: the message in Telegram's HTML (the marked facts in ``<b>``).
        buttons: one inline button per row; none for a text alone.
    """

    __slots__ = ("_rest",)

    def __init__(self, text: str, buttons: Sequence[Button] = ()) -> None:
        params: dict[str, Any] = {"text": text, "parse_mode": ParseMode.HTML.value}
        if buttons:
            params["reply_markup"] = keyboard(buttons)
        encoded = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode()
        self._rest = encoded[1:]  # after the "{", where the chat id goes in front

    def body_for(self, chat_id: int) -> bytes:
        """The ``sendMessage`` body that puts this message into ``chat_id``."""
        return b'{"chat_id":%d,' % chat_id + self._rest


def keyboard(buttons: Sequence[Button]) -> dict[str, Any]:
    """An inline keyboard (Bot API ``InlineKeyboardMarkup``) with one button per row, since
    Vietnamese labels are long."""
    return {
        "inline_keyboard": [
            [
                {"text": button.label, "callback_data": button.payload}
                if button.payload
                else {"text": button.label, "url": button.url}
            ]
            for button in buttons
        ]
    }


def refusal(status: int, answer: bytes) -> TelegramError:
    """The exception python-telegram-bot raises for a Bot API answer with this HTTP status.

    Telegram's error answer is ``{"ok": false, "error_code": N, "description": "...",
    "parameters": {...}}`` with the HTTP status equal to ``error_code``; like PTB, this reads
    the status, the ``description`` (the status's name when there is none), and
    ``parameters``: ``migrate_to_chat_id`` and ``retry_after`` come first, whatever the status.
    """
    try:
        message = f"{HTTPStatus(status).phrase} ({status})"
    except ValueError:
        message = f"Unknown HTTPError ({status})"
    try:
        found = json.loads(answer.decode("utf-8", "replace"))
    except ValueError:
        found = None
    if not isinstance(found, dict):
        message += f". Parsing the server response {answer!r} failed"
    else:
        message = found.get("description") or message
        parameters = found.get("parameters")
        if isinstance(parameters, dict) and parameters:
            if migrate_to := parameters.get("migrate_to_chat_id"):
                return ChatMigrated(migrate_to)
            if retry_after := parameters.get("retry_after"):
                return RetryAfter(retry_after)
            message += f". The server response contained unknown parameters: {parameters}"
    match status:
        case HTTPStatus.FORBIDDEN:
            return Forbidden(message)
        case HTTPStatus.NOT_FOUND | HTTPStatus.UNAUTHORIZED:  # a malformed or revoked token
            return InvalidToken(message)
        case HTTPStatus.BAD_REQUEST:
            return BadRequest(message)
        case HTTPStatus.CONFLICT:
            return Conflict(message)
    return NetworkError(message)
