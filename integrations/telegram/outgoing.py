"""``sendMessage`` with its body encoded once, and only the refusal read from the answer.

python-telegram-bot's ``Bot.send_message`` turns every parameter into a ``RequestParameter``
and encodes it again on each call, then parses the answer into a full ``Message``
(``Message.de_json``, a frozen ``TelegramObject.__setattr__`` per field) that the adapter
throws away: about 45 % of a sender's samples at 1,000 messages a second (a py-spy profile of
``python -m bench.broadcast``). A broadcast sends one text and keyboard to every subscriber,
and a chat reply is one text and keyboard too, so the parameters other than the chat are
encoded to JSON once (:class:`TextMessage`) and each send only puts the chat id in front
(``botapi.BotApi.send_message``). An accepted message's answer is not read at all: nothing in
it is used.

A refused one is read as PTB's ``BaseRequest`` reads it (``botapi.refused``): a flood is
retried (``botapi.FloodRetries``), and ``botapi.judge`` maps the rest (403 blocked, 400 chat
not found, 5xx).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dialogs.messages import Button


class TextMessage:
    """One text with its keyboard, for any chat: ``sendMessage``'s JSON body without ``chat_id``.

    Args:
        text: the message in Telegram's HTML (the marked facts in ``<b>``).
        buttons: one inline button per row; none for a text alone.
    """

    __slots__ = ("_rest",)

    def __init__(self, text: str, buttons: Sequence[Button] = ()) -> None:
        params: dict[str, Any] = {"text": text, "parse_mode": "HTML"}
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
