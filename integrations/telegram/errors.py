"""python-telegram-bot's exceptions (raised while polling) as motcua's errors, like every other
Bot API failure (``botapi.judge``)."""

from __future__ import annotations

import datetime as dtm

from telegram.error import ChatMigrated, RetryAfter, TelegramError

from dialogs.errors import MotcuaError
from integrations.telegram.botapi import ApiError, judge

KINDS = (
    "RetryAfter",
    "ChatMigrated",
    "Forbidden",
    "InvalidToken",
    "EndPointNotFound",
    "Conflict",
    "BadRequest",
    "TimedOut",
    "NetworkError",
)
"""The exceptions ``botapi.ApiError`` names, the most precise first."""


def from_ptb(exc: TelegramError) -> ApiError:
    """The :class:`~integrations.telegram.botapi.ApiError` for one of PTB's exceptions: its
    kind is the closest of PTB's classes (``TimedOut`` is a ``NetworkError``)."""
    match exc:
        case RetryAfter():
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)
            return ApiError("RetryAfter", exc.message, retry_after=seconds)
        case ChatMigrated():
            return ApiError("ChatMigrated", exc.message, new_chat_id=exc.new_chat_id)
    names = {cls.__name__ for cls in type(exc).__mro__}
    kind = next((name for name in KINDS if name in names), "TelegramError")
    return ApiError(kind, exc.message)


def translate(exc: TelegramError) -> MotcuaError:
    """The motcua error for a Bot API failure, so callers never see PTB's exception types.

    Only the error class and Telegram's own description are kept: never message text.
    """
    return judge(from_ptb(exc))
