"""Every Bot API failure becomes the motcua error its callers act on."""

from __future__ import annotations

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from dialogs.errors import (
    ConfigurationError,
    DeliveryError,
    MotcuaError,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)
from integrations.telegram.errors import translate


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (Forbidden("Forbidden: bot was blocked by the user"), RecipientUnavailable),
        (Forbidden("Forbidden: user is deactivated"), RecipientUnavailable),
        (ChatMigrated(-100123), RecipientUnavailable),
        (BadRequest("Bad Request: chat not found"), RecipientUnavailable),
        (BadRequest("Bad Request: message is too long"), DeliveryError),
        (InvalidToken(), ConfigurationError),
        (Conflict("Conflict: terminated by other getUpdates request"), ConfigurationError),
        (TimedOut(), TemporaryFailure),
        (NetworkError("Bad Gateway"), TemporaryFailure),
        (TelegramError("something new"), DeliveryError),
    ],
)
def test_each_failure_maps_to_one_error(error: TelegramError, expected: type[MotcuaError]) -> None:
    translated = translate(error)
    assert type(translated) is expected
    retryable = isinstance(translated, DeliveryError) and translated.retryable
    assert retryable == (expected is TemporaryFailure)


def test_flood_keeps_the_wait_telegram_asked_for() -> None:
    translated = translate(RetryAfter(12))
    assert isinstance(translated, RateLimited)
    assert translated.retry_after == 12
    assert translated.retryable
