"""The Graph API Send API client: one POST per message, Graph errors turned into typed errors.

Graph answers errors as ``{"error": {"code", "error_subcode", "message", ...}}``, usually with
HTTP 400; the code and subcode, not the HTTP status, say what happened, so
:func:`delivery_error` classifies them in one place and :class:`SendApiClient` acts on the
result: transient failures are retried a bounded number of times with exponential backoff
(``integrations.retrying``), everything else is raised at once.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from dialogs.errors import (
    AuthExpired,
    DeliveryError,
    OutsideWindow,
    RateLimited,
    RecipientUnavailable,
    TemporaryFailure,
)
from integrations.retrying import delivery_retrying

log = logging.getLogger(__name__)

_UNAVAILABLE_CODES = {551}
_RATE_LIMIT_CODES = {4, 613}
_TRANSIENT_CODES = {1, 2, 1200}
_NO_SUCH_USER = (100, 2018001)
_WINDOW_SUBCODES = {2018278, 2534022}


def delivery_error(status: int, body: Any) -> DeliveryError:
    """The typed error for a failed Send API call (HTTP status and decoded JSON body).

    551 / 1545041 and 100 / 2018001 mean the person cannot be reached (not retried); 10 (with
    2018278 and kin) means the 24-hour window is closed; 613 and 4 are rate limits; 1200, 2 and
    server errors are transient; 190 is a page token Meta no longer accepts, which only an
    operator can replace; any other 100 is a malformed request, a bug on our side.
    """
    error = body.get("error") if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping):
        if status >= 500 or status == 429:
            return TemporaryFailure(f"Graph API HTTP {status}")
        return DeliveryError(f"Graph API HTTP {status} without an error object")
    code = error.get("code")
    subcode = error.get("error_subcode")
    detail = f"Graph API error {code}/{subcode}"
    if code in _UNAVAILABLE_CODES or (code, subcode) == _NO_SUCH_USER:
        return RecipientUnavailable(detail)
    if code == 10 or subcode in _WINDOW_SUBCODES:
        return OutsideWindow(detail)
    if code in _RATE_LIMIT_CODES:
        return RateLimited(detail)
    if code in _TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
        return TemporaryFailure(detail)
    if code == 190:
        log.error("messenger page token rejected (%s): replace MOTCUA_MESSENGER_PAGE_TOKEN", detail)
        return AuthExpired(detail)
    if code == 100:
        log.error("messenger rejected a malformed request (%s): a bug, not retried", detail)
    else:
        log.error("messenger refused a message (%s): check the page's permissions", detail)
    return DeliveryError(detail)


class SendApiClient:
    """Posts message bodies to ``<api_url>/me/messages`` with the page access token."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_url: str,
        page_token: str,
        *,
        max_attempts: int = 4,
        retry_delay: float = 0.5,
    ) -> None:
        self._session = session
        self._url = api_url.rstrip("/") + "/me/messages"
        self._token = page_token
        self._max_attempts = max_attempts
        self._retry_delay = retry_delay

    async def post(self, body: Mapping[str, Any]) -> str:
        """Send one message body; returns Meta's message id.

        Raises:
            DeliveryError: a typed subclass once retries of transient failures are used up,
                or at once for failures a retry cannot fix.
        """
        # AuthExpired: a page token cannot be refreshed from here, so it is not retried. Graph
        # gives no retry-after hint, so rate limits back off like any other transient failure.
        retrying = delivery_retrying(
            attempts=self._max_attempts,
            first_delay=self._retry_delay,
            log=log,
            what="messenger send",
        )
        return await retrying(self._post_once, body)

    async def _post_once(self, body: Mapping[str, Any]) -> str:
        """One HTTP round trip; network failures count as transient."""
        try:
            async with self._session.post(
                self._url, params={"access_token": self._token}, json=body
            ) as response:
                data = await response.json(content_type=None)
                status = response.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise TemporaryFailure(f"Graph API unreachable: {type(exc).__name__}") from exc
        if status == 200 and isinstance(data, Mapping) and "message_id" in data:
            return str(data["message_id"])
        raise delivery_error(status, data)
