"""``HttpPortalClient``: the portal contract over aiohttp, with timeouts, retries and typed errors.

Every failure is translated in one place (``_raise_for``) into the ``dialogs.errors`` portal
hierarchy. Network errors, timeouts and 5xx answers are retried with exponential backoff
(tenacity); filing stays safe to retry because every ``POST /dossiers`` carries the caller's
idempotency key, which the portal answers with the first result again.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from dialogs.errors import (
    PortalAuthFailed,
    PortalConflict,
    PortalError,
    PortalNotFound,
    PortalRejected,
    PortalUnavailable,
)
from dialogs.ports import PortalChange, PortalDossier, PortalFee
from integrations.portal.contract import API_PREFIX, IDEMPOTENCY_HEADER, SANDBOX_PREFIX

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
"""Seconds one call may take in all; a portal slower than this counts as unavailable."""


class HttpPortalClient:
    """A client of one portal; use it as an async context manager (it owns its HTTP session)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = 3,
        backoff: float = 0.2,
    ) -> None:
        """Configure a client.

        Args:
            base_url: the portal's base URL (``MOTCUA_PORTAL_URL``).
            api_key: the bearer key (``MOTCUA_PORTAL_API_KEY``).
            timeout: seconds one call may take, connecting included.
            attempts: tries of a call that failed for a retryable reason.
            backoff: the first wait between tries, in seconds; it doubles each time.
        """
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._attempts = attempts
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        """Open the HTTP session."""
        self._session = aiohttp.ClientSession(headers=self._headers, timeout=self._timeout)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def create_dossier(
        self, request: Mapping[str, Any], idempotency_key: str
    ) -> PortalDossier:
        """``POST /dossiers``: file once, however often this is retried with the same key."""
        body = await self._call(
            "POST",
            f"{API_PREFIX}/dossiers",
            json=dict(request),
            headers={IDEMPOTENCY_HEADER: idempotency_key},
        )
        return parse_dossier(body)

    async def add_attachment(
        self, code: str, document_name: str, filename: str, content_type: str, data: bytes
    ) -> None:
        """``POST /dossiers/{code}/attachments`` with the file as multipart form data."""

        def form() -> aiohttp.FormData:
            # A FormData can be sent once only, so every try builds its own.
            built = aiohttp.FormData()
            built.add_field("document_name", document_name)
            built.add_field("file", data, filename=filename, content_type=content_type)
            return built

        await self._call("POST", f"{API_PREFIX}/dossiers/{code}/attachments", form=form)

    async def get_dossier(self, code: str, id_number: str) -> PortalDossier:
        """``GET /dossiers/{code}?id_number=``: the dossier if the ID number is its applicant's."""
        body = await self._call(
            "GET", f"{API_PREFIX}/dossiers/{code}", params={"id_number": id_number}
        )
        return parse_dossier(body)

    async def changed_since(self, since: datetime, limit: int = 100) -> list[PortalDossier]:
        """``GET /dossiers?updated_since=``: what changed, for the polling loop."""
        body = await self._call(
            "GET",
            f"{API_PREFIX}/dossiers",
            params={"updated_since": since.isoformat(), "limit": str(limit)},
        )
        items = body.get("items")
        if not isinstance(items, list):
            raise PortalUnavailable("the portal's list has no items")
        return [parse_dossier(item) for item in items]

    async def withdraw(self, code: str) -> PortalDossier:
        """``POST /dossiers/{code}/withdraw``."""
        return parse_dossier(await self._call("POST", f"{API_PREFIX}/dossiers/{code}/withdraw"))

    async def transition(self, code: str, status: str, note: str = "") -> PortalDossier:
        """The sandbox's officer: move a dossier along the status machine (sandbox only)."""
        body = await self._call(
            "POST",
            f"{SANDBOX_PREFIX}/dossiers/{code}/transition",
            json={"status": status, "note": note},
        )
        return parse_dossier(body)

    async def reschedule(self, code: str, due_date: date, reason: str = "") -> PortalDossier:
        """The sandbox's officer: give a late dossier a new date for its result (sandbox only)."""
        body = await self._call(
            "POST",
            f"{SANDBOX_PREFIX}/dossiers/{code}/reschedule",
            json={"due_date": due_date.isoformat(), "reason": reason},
        )
        return parse_dossier(body)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        form: Any = None,
    ) -> dict[str, Any]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(PortalUnavailable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff, max=self._backoff * 8),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, path, json, params, headers, form)
        raise AssertionError("unreachable: tenacity re-raises the last error")

    async def _once(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        form: Any,
    ) -> dict[str, Any]:
        if self._session is None:
            raise RuntimeError("HttpPortalClient used outside its `async with` block")
        try:
            async with self._session.request(
                method,
                self.base_url + path,
                json=json,
                params=params,
                headers=headers,
                data=form() if form is not None else None,
            ) as response:
                status = response.status
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
        except (aiohttp.ClientError, TimeoutError) as error:
            # Type only: a connection error's text names the host and sometimes the query.
            logger.warning("portal %s %s: %s", method, _route(path), type(error).__name__)
            raise PortalUnavailable(type(error).__name__) from error
        if 200 <= status < 300 and isinstance(body, dict):
            return body
        logger.warning("portal %s %s answered %d", method, _route(path), status)
        raise _error_for(status, body)


def _route(path: str) -> str:
    """The path with dossier codes left out, for logs."""
    parts = path.split("/")
    return "/".join("{code}" if "-" in part and part[:1].isdigit() else part for part in parts)


def _error_for(status: int, body: Any) -> PortalError:
    """The typed error for a non-2xx (or non-JSON) answer."""
    error = body.get("error") if isinstance(body, dict) else None
    message = str(error.get("message", "")) if isinstance(error, dict) else ""
    if status >= 500 or not isinstance(error, dict):
        return PortalUnavailable(f"HTTP {status}")
    if status in (401, 403):
        return PortalAuthFailed(message or f"HTTP {status}")
    if status == 404:
        return PortalNotFound(message or "not found")
    if status == 409:
        return PortalConflict(message or "conflict")
    fields = error.get("fields")
    if isinstance(fields, dict):
        return PortalRejected(message, {str(k): str(v) for k, v in fields.items()})
    return PortalRejected(message or f"HTTP {status}")


def parse_dossier(body: Any) -> PortalDossier:
    """A dossier from the portal's JSON; anything malformed is ``PortalUnavailable``.

    The portal is another system: its answers are checked like user input, never trusted.
    """
    try:
        fee = body["fee"]
        due, extended = body.get("due_date"), body.get("extended_due_date")
        return PortalDossier(
            code=_text(body["code"]),
            status=_text(body["status"]),
            label=_text(body.get("label", "")),
            procedure_code=_text(body.get("procedure_code", "")),
            due_date=date.fromisoformat(due) if isinstance(due, str) else None,
            overdue=bool(body.get("overdue", False)),
            fee=PortalFee(
                amount=int(fee["amount"]),
                currency=_text(fee.get("currency", "VND")),
                payment_url=fee.get("payment_url")
                if isinstance(fee.get("payment_url"), str)
                else None,
                paid=bool(fee.get("paid", False)),
            ),
            delivery=_text(body.get("delivery", {}).get("method", "pickup")),
            updated_at=_moment(body["updated_at"]),
            history=tuple(
                PortalChange(_text(h["status"]), _moment(h["at"]), _text(h.get("note") or ""))
                for h in body.get("history", ())
            ),
            extended_due_date=date.fromisoformat(extended) if isinstance(extended, str) else None,
            delay_reason=_text(body.get("delay_reason") or "")[:2000],
        )
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PortalUnavailable(f"malformed dossier: {type(error).__name__}") from error


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("expected a string")
    return value


def _moment(value: Any) -> datetime:
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError("timestamps must carry their offset")
    return moment
