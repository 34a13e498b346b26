"""The one error hierarchy; adapters translate platform errors into these at the boundary."""

from __future__ import annotations


class MotcuaError(Exception):
    """Base of every error motcua raises on purpose."""


class DeliveryError(MotcuaError):
    """A reply could not be delivered to a user."""

    retryable: bool = False


class RateLimited(DeliveryError):
    """The platform asked us to slow down."""

    retryable = True

    def __init__(self, message: str = "rate limited", retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RecipientUnavailable(DeliveryError):
    """The user blocked the bot, left, or cannot be reached; do not retry."""


class OutsideWindow(DeliveryError):
    """The platform's messaging window for this user has closed."""


class AuthExpired(DeliveryError):
    """The platform rejected our credentials; refresh them and retry once."""

    retryable = True


class TemporaryFailure(DeliveryError):
    """A transient platform or network failure; retry with backoff."""

    retryable = True


class ConfigurationError(MotcuaError):
    """The platform says our app is not set up for this call; needs an operator."""


class FileTooBig(MotcuaError):
    """A citizen's file is larger than the limit; found before it was downloaded whole."""


class FileUnavailable(MotcuaError):
    """A citizen's file could not be fetched from their platform."""


class StaleConversation(MotcuaError):
    """A conversation was saved by someone else since it was loaded (version mismatch)."""


class PortalError(MotcuaError):
    """The public-service portal did not do what was asked."""

    retryable: bool = False


class PortalUnavailable(PortalError):
    """The portal did not answer, timed out, failed (5xx) or answered nonsense; try later."""

    retryable = True


class PortalRejected(PortalError):
    """The portal refused the request's content (422); ``fields`` maps a field to the reason."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


class PortalConflict(PortalError):
    """The request contradicts the portal's state: an idempotency key reused for another body,
    or a move the status machine does not allow (409)."""


class PortalNotFound(PortalError):
    """No such dossier, or not for this applicant (the portal does not say which)."""


class PortalAuthFailed(PortalError):
    """The portal refused our API key: an operator must fix the configuration."""
