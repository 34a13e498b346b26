"""How platform adapters retry a failed call: tenacity, with one policy for every platform.

Only failures that say a retry may help (``DeliveryError.retryable``) are retried, with
exponential back-off and a bounded number of attempts. An expired credential is not retried
blindly: the adapter that can refresh it does so itself, and one that cannot must give up.
"""

from __future__ import annotations

import logging

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from dialogs.errors import AuthExpired, DeliveryError


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, DeliveryError) and exc.retryable and not isinstance(exc, AuthExpired)


def delivery_retrying(
    *, attempts: int, first_delay: float, log: logging.Logger, what: str
) -> AsyncRetrying:
    """A retrier: ``await delivery_retrying(...)(call, *args)`` makes up to ``attempts`` calls.

    The waits are ``first_delay``, then twice as long each time; the last failure is raised
    as it is. Each retry is logged as a warning naming ``what`` and the error, nothing more.
    """

    def note(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s failed (%s), retry %d in %.2fs",
            what,
            error,
            state.attempt_number,
            state.upcoming_sleep,
        )

    return AsyncRetrying(
        retry=retry_if_exception(_worth_retrying),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=first_delay),
        before_sleep=note,
        reraise=True,
    )
