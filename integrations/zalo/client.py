"""A small client for the Zalo OA API v3: customer-service messages, with Zalo's errors acted on.

Zalo reports failures as HTTP 200 with a negative ``error``. Each is mapped to a typed error
by :func:`integrations.zalo.errors.error_for` and then handled here: an expired token is
refreshed and the call retried once; a rate limit or a transient failure is retried a few times
with exponential back-off (``integrations.retrying``); everything else is raised at once.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from dialogs.errors import (
    AuthExpired,
    ConfigurationError,
    MotcuaError,
    TemporaryFailure,
)
from integrations.retrying import delivery_retrying
from integrations.zalo.errors import error_for
from integrations.zalo.tokens import ZaloTokens

log = logging.getLogger(__name__)

CS_PATH = "/v3.0/oa/message/cs"


class ZaloClient:
    """Calls the OA API with the ``access_token`` header the API expects."""

    def __init__(
        self,
        *,
        session: aiohttp.ClientSession,
        api_url: str,
        tokens: ZaloTokens,
        retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        self._session = session
        self._api_url = api_url.rstrip("/")
        self._tokens = tokens
        self._retries = retries
        self._backoff = backoff

    async def send_cs(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Send one customer-service message to a user; returns Zalo's ``data`` object."""
        body = {"recipient": {"user_id": user_id}, "message": message}
        return await self.call(CS_PATH, body)

    async def call(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``body`` to ``path`` and act on Zalo's answer (see the module docstring)."""
        retrying = delivery_retrying(
            attempts=self._retries + 1, first_delay=self._backoff, log=log, what=f"zalo {path}"
        )
        return await retrying(self._call_refreshing, path, body)

    async def _call_refreshing(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """One call; an expired token is refreshed and the call made once more."""
        token = await self._tokens.access_token()
        try:
            return await self._post(path, body, token)
        except AuthExpired:
            await self._tokens.refresh(stale=token)
            return await self._post(path, body, await self._tokens.access_token())

    async def _post(self, path: str, body: dict[str, Any], token: str) -> dict[str, Any]:
        """One HTTP call; raises the typed error for any failure."""
        try:
            async with self._session.post(
                self._api_url + path, json=body, headers={"access_token": token}
            ) as response:
                if response.status >= 500 or response.status == 429:
                    raise TemporaryFailure(f"Zalo answered HTTP {response.status}")
                if response.status != 200:
                    raise ConfigurationError(f"Zalo answered HTTP {response.status} for {path}")
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, json.JSONDecodeError) as exc:
            raise TemporaryFailure(f"Zalo unreachable: {type(exc).__name__}") from exc
        if not isinstance(answer, dict):
            raise TemporaryFailure("Zalo answered something that is not a JSON object")
        code = answer.get("error", 0)
        if not isinstance(code, int) or code >= 0:
            data = answer.get("data")
            return data if isinstance(data, dict) else {}
        error: MotcuaError = error_for(code, str(answer.get("message", "")))
        raise error
