"""Zalo OA error codes translated into the project's error hierarchy, in one place.

Zalo answers failures with HTTP 200 and a negative ``error`` field, so the HTTP status says
nothing; this module is the only one that knows what the codes mean.
"""

from __future__ import annotations

from dialogs.errors import (
    AuthExpired,
    ConfigurationError,
    DeliveryError,
    MotcuaError,
    OutsideWindow,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)


class QuotaExceeded(DeliveryError):
    """The OA's (-211) or the recipient's (-218) message quota is used up; retrying won't help."""


class ZaloRequestRejected(DeliveryError):
    """Zalo refused the request itself (invalid field, unsupported type): a bug, not retried."""


_AUTH = frozenset({-216, -220})
_OUTSIDE_WINDOW = frozenset({-230, -232})
_UNREACHABLE = frozenset({-213, -217, -227, -244})
_QUOTA = frozenset({-211, -218})
_RATE = frozenset({-32})
_TEMPORARY = frozenset({-200, -234})
# The app or OA is not set up for this call: only an operator can fix these.
_CONFIGURATION = frozenset({-209, -212, -219, -221, -223, -224, -235, -240, -320, -321})


def error_for(code: int, message: str) -> MotcuaError:
    """The typed error for a Zalo ``error`` code (negative), carrying Zalo's own message.

    Zalo gives no retry-after hint, so a rate limit says one second, like ``RateLimited``.
    """
    text = f"Zalo error {code}: {message}"
    if code in _AUTH:
        return AuthExpired(text)
    if code in _OUTSIDE_WINDOW:
        return OutsideWindow(text)
    if code in _UNREACHABLE:
        return RecipientUnavailable(text)
    if code in _QUOTA:
        return QuotaExceeded(text)
    if code in _RATE:
        return RateLimited(text)
    if code in _TEMPORARY:
        return TemporaryFailure(text)
    if code in _CONFIGURATION:
        return ConfigurationError(text)
    return ZaloRequestRejected(text)
