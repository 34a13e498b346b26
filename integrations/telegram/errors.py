"""Translate python-telegram-bot errors into motcua's one error hierarchy, in one place."""

from __future__ import annotations

import datetime as dtm

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from dialogs.errors import (
    ConfigurationError,
    DeliveryError,
    MotcuaError,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)

# Bad requests that mean the chat itself is gone, not that our message was malformed.
_GONE = ("chat not found", "user not found", "peer_id_invalid", "have no rights to send")


def translate(exc: TelegramError) -> MotcuaError:
    """The motcua error for a Bot API failure, so callers never see PTB's exception types.

    Only the error class and Telegram's own description are kept: never message text.
    """
    description = exc.message
    match exc:
        case RetryAfter():
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, dtm.timedelta) else float(wait)
            return RateLimited(description, retry_after=seconds)
        case Forbidden() | ChatMigrated():
            # Blocked, deactivated, kicked, never started, or the group moved: do not retry.
            return RecipientUnavailable(description)
        case InvalidToken() | EndPointNotFound() | Conflict():
            return ConfigurationError(description)
        case BadRequest() if any(gone in description.lower() for gone in _GONE):
            return RecipientUnavailable(description)
        case BadRequest():
            return DeliveryError(description)
        case NetworkError():
            return TemporaryFailure(description)
    return DeliveryError(description)
