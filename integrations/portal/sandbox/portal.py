"""The sandbox portal: the contract's server side, faithful enough to file and follow dossiers.

It behaves as a provincial one-stop system does: receipt-style dossier codes
(``{agency}-{yyMMdd}-{NNNN}``, numbered per agency and day), the status machine of
``contract.TRANSITIONS``, due dates counted in Vietnamese working days (the clock pausing while
the citizen must act), fees and processing times from the knowledge base, a payment page,
Stripe-style idempotency keys, and a signed webhook on every status change, retried with
backoff until the receiver answers 2xx. The officer's desk is ``POST
/sandbox/dossiers/{code}/transition``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import html
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from dialogs.ports import MAX_PAPER_BYTES, PAPER_MAGIC
from integrations.portal.contract import (
    API_PREFIX,
    CITIZEN_ACTS,
    CLOSED,
    CODE_PATTERN,
    IDEMPOTENCY_HEADER,
    LABELS,
    MAX_IDEMPOTENCY_KEY,
    SANDBOX_PREFIX,
    SIGNATURE_HEADER,
    STATUS_CHANGED,
    TIMESTAMP_HEADER,
    TRANSITIONS,
    sign,
)
from integrations.portal.sandbox.calendar import WorkingCalendar
from integrations.portal.sandbox.store import PendingWebhook, SandboxStore, StoredDossier

logger = logging.getLogger(__name__)

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Receipt dates and due dates are Vietnamese calendar days (no daylight saving there)."""

DEFAULT_AGENCY = "000.00.20.H39"
MAX_FORM_BYTES = 32 * 1024
ID_NUMBER = re.compile(r"^\d{12}$")
PHONE = re.compile(r"^(\+84|0)\d{9,10}$")
URL = re.compile(r"^https?://[^\s]{1,2000}$")

SUPPLEMENT_RECEIVED = "Đã nhận giấy tờ bổ sung"
"""The note of the move back to ``processing`` when a dossier waiting for papers gets one."""

WEBHOOK_TIMEOUT = 5.0
WEBHOOK_CONCURRENCY = 32
WEBHOOK_ROUND = 500
"""Webhooks taken per round of the sender, their outcomes committed together."""


@dataclass(frozen=True, slots=True)
class _Move:
    """An officer's move waiting for its batch, and the future its caller awaits."""

    code: str
    status: str
    note: str
    done: asyncio.Future[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class ProcedureTerms:
    """What the knowledge base says about a procedure that the portal needs."""

    name: str
    working_days: int
    fee: int


Terms = Callable[[str], ProcedureTerms | None]
"""Procedure code -> its terms, or None for a code the portal does not handle."""


class ContractError(Exception):
    """A request the contract refuses; becomes ``{"error": {...}}`` with ``status``."""

    def __init__(
        self, status: int, code: str, message: str, fields: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.fields = dict(fields or {})

    def response(self) -> web.Response:
        """The contract's error shape."""
        error: dict[str, Any] = {"code": self.code, "message": str(self)}
        if self.fields:
            error["fields"] = self.fields
        return web.json_response({"error": error}, status=self.status)


class SandboxPortal:
    """The sandbox as an aiohttp application with its store and webhook sender.

    Use it as an async context manager: entering opens the store and starts the webhook loop.
    """

    def __init__(
        self,
        path: Path,
        terms: Terms,
        *,
        public_url: str,
        api_key: str | None = None,
        webhook_secret: str | None = None,
        agency: str = DEFAULT_AGENCY,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        webhook_backoff: float = 1.0,
        webhook_attempts: int = 12,
    ) -> None:
        """Configure a sandbox.

        Args:
            path: its SQLite file.
            terms: procedure code -> name, processing time and fee (from the knowledge base).
            public_url: where citizens reach it (payment links point here).
            api_key: the bearer key; generated and kept in the file when not given.
            webhook_secret: the webhook signing secret; generated and kept when not given.
            agency: the receiving agency's electronic id, the first part of dossier codes.
            now: the clock.
            webhook_backoff: seconds before the first webhook retry; doubled on each retry.
            webhook_attempts: deliveries tried before a webhook is given up on.
        """
        self.store = SandboxStore(path)
        self._terms = terms
        self.public_url = public_url.rstrip("/")
        self._given_key = api_key
        self._given_secret = webhook_secret
        self.api_key = ""
        self.webhook_secret = ""
        self._agency = agency
        self._now = now
        self._calendar = WorkingCalendar()
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._webhook_backoff = webhook_backoff
        self._webhook_attempts = webhook_attempts
        self._sender: asyncio.Task[None] | None = None
        self._moves: list[_Move] = []
        self._mover: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SandboxPortal:
        """Open the store, settle the keys and start delivering webhooks."""
        await self.store.__aenter__()
        self.api_key = await self.store.kept_secret("api_key", self._given_key)
        self.webhook_secret = await self.store.kept_secret("webhook_secret", self._given_secret)
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WEBHOOK_TIMEOUT))
        self._sender = asyncio.create_task(self._send_webhooks())
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop the webhook loop, finish the moves in hand and close everything."""
        if self._mover is not None:
            await asyncio.gather(self._mover, return_exceptions=True)
        if self._sender is not None:
            self._sender.cancel()
            await asyncio.gather(self._sender, return_exceptions=True)
        if self._http is not None:
            await self._http.close()
        await self.store.__aexit__()

    def application(self) -> web.Application:
        """The sandbox's HTTP routes (the contract's, the officer's and the payment page)."""
        app = web.Application(
            middlewares=[self._errors, self._auth], client_max_size=MAX_PAPER_BYTES + 65536
        )
        app.router.add_post(f"{API_PREFIX}/dossiers", self._create)
        app.router.add_get(f"{API_PREFIX}/dossiers", self._list)
        app.router.add_get(API_PREFIX + "/dossiers/{code}", self._get)
        app.router.add_post(API_PREFIX + "/dossiers/{code}/attachments", self._attach)
        app.router.add_post(API_PREFIX + "/dossiers/{code}/withdraw", self._withdraw)
        app.router.add_post(SANDBOX_PREFIX + "/dossiers/{code}/transition", self._transition)
        app.router.add_post(SANDBOX_PREFIX + "/dossiers/{code}/reschedule", self._reschedule)
        app.router.add_get(SANDBOX_PREFIX + "/pay/{code}", self._pay_page)
        app.router.add_post(SANDBOX_PREFIX + "/pay/{code}", self._pay)
        return app

    # --- middlewares -------------------------------------------------------------------------

    @web.middleware
    async def _errors(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        except ContractError as error:
            return error.response()
        except web.HTTPRequestEntityTooLarge:
            return ContractError(413, "too_large", "the request is too large").response()
        except web.HTTPException as error:
            if error.status >= 400:
                return ContractError(error.status, "http_error", error.reason).response()
            raise

    @web.middleware
    async def _auth(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        if request.path.startswith((API_PREFIX, SANDBOX_PREFIX + "/dossiers")):
            given = request.headers.get("Authorization", "")
            expected = f"Bearer {self.api_key}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                raise ContractError(401, "unauthorized", "a valid bearer API key is required")
        return await handler(request)

    # --- the contract ------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        key = request.headers.get(IDEMPOTENCY_HEADER, "").strip()
        if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii():
            raise ContractError(
                400, "idempotency_key_required", "an Idempotency-Key of 1 to 255 characters"
            )
        body = await _json_object(request)
        fingerprint = hashlib.sha256(
            json.dumps(body, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        async with self._lock:
            first = await self.store.remembered(key)
            if first is not None:
                if first[0] != fingerprint:
                    raise ContractError(
                        409, "idempotency_conflict", "this key was used for another request"
                    )
                return web.json_response(first[2], status=first[1])
            now = self._now()
            try:
                status, answer = 201, await self._file(body, now)
            except ContractError as error:
                if error.status != 422:
                    raise
                status, answer = 422, json.loads(error.response().text or "{}")
            await self.store.remember(key, fingerprint, status, answer, now)
            await self.store.commit()
        return web.json_response(answer, status=status)

    async def _file(self, body: dict[str, Any], now: datetime) -> dict[str, Any]:
        """Validate and store a new dossier; its view (not yet committed)."""
        procedure_code = body.get("procedure_code")
        terms = self._terms(procedure_code) if isinstance(procedure_code, str) else None
        fields = _validate(body)
        if terms is None and "procedure_code" not in fields:
            fields["procedure_code"] = "unknown procedure code"
        if fields or terms is None:
            raise ContractError(422, "validation_failed", "the dossier is not valid", fields)
        local = now.astimezone(VIETNAM)
        day = local.strftime("%y%m%d")
        number = await self.store.next_number(self._agency, day)
        code = f"{self._agency}-{day}-{number:04d}"
        record = {
            "applicant": body["applicant"],
            "on_behalf_of": body.get("on_behalf_of"),
            "form": body.get("form", {}),
            "delivery": body["delivery"],
            "callback_url": body.get("callback_url"),
            "procedure_name": terms.name,
        }
        dossier = StoredDossier(
            code=code,
            procedure_code=str(procedure_code),
            record=record,
            status="submitted",
            submitted_at=now,
            updated_at=now,
            due_date=self._calendar.add(local.date(), terms.working_days).isoformat(),
            paused_since=None,
            fee_amount=terms.fee,
            fee_paid=terms.fee == 0,
        )
        await self.store.insert(dossier)
        await self.store.add_history(code, "submitted", now, "")
        return await self._view(dossier)

    async def _get(self, request: web.Request) -> web.Response:
        dossier = await self._dossier(request)
        id_number = request.query.get("id_number", "")
        expected = _ids(dossier.record)
        if not any(hmac.compare_digest(id_number.encode(), known.encode()) for known in expected):
            # The same answer as an unknown code: a guessed code reveals nothing.
            raise ContractError(404, "not_found", "no such dossier for this ID number")
        return web.json_response(await self._view(dossier))

    async def _list(self, request: web.Request) -> web.Response:
        raw = request.query.get("updated_since", "")
        try:
            since = datetime.fromisoformat(raw)
        except ValueError:
            raise ContractError(
                422,
                "validation_failed",
                "updated_since must be an ISO 8601 time",
                {"updated_since": "an ISO 8601 date and time with its offset"},
            ) from None
        if since.tzinfo is None:
            raise ContractError(
                422,
                "validation_failed",
                "updated_since needs a UTC offset",
                {"updated_since": "an ISO 8601 date and time with its offset"},
            )
        limit_text = request.query.get("limit", "100")
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
            raise ContractError(
                422, "validation_failed", "limit must be 1 to 1000", {"limit": "1 to 1000"}
            )
        found = await self.store.changed_since(since, int(limit_text))
        return web.json_response({"items": await self._views(found)})

    async def _attach(self, request: web.Request) -> web.Response:
        dossier = await self._dossier(request)
        if not request.content_type.startswith("multipart/"):
            raise ContractError(400, "bad_request", "send the file as multipart/form-data")
        try:
            form = await request.post()
        except ValueError:
            raise ContractError(400, "bad_request", "the multipart body is malformed") from None
        upload, name = form.get("file"), form.get("document_name")
        fields: dict[str, str] = {}
        if not isinstance(name, str) or not name.strip() or len(name) > 300:
            fields["document_name"] = "the paper's name, 1 to 300 characters"
        if not isinstance(upload, web.FileField):
            fields["file"] = "a file"
            raise ContractError(422, "validation_failed", "the attachment is not valid", fields)
        data = upload.file.read(MAX_PAPER_BYTES + 1)
        content_type = upload.content_type
        if len(data) > MAX_PAPER_BYTES:
            fields["file"] = "at most 10 MB"
        elif content_type not in PAPER_MAGIC:
            fields["file"] = "a JPEG, PNG or PDF file"
        elif not data.startswith(PAPER_MAGIC[content_type]):  # a renamed program is refused
            fields["file"] = "the file's content does not match its type"
        if fields:
            raise ContractError(422, "validation_failed", "the attachment is not valid", fields)
        assert isinstance(name, str)
        async with self._lock:
            number = await self.store.add_attachment(
                dossier.code,
                name.strip(),
                upload.filename or "file",
                content_type,
                data,
                self._now(),
            )
            await self.store.commit()
        if dossier.status == "supplement_required":
            # The papers the desk asked for arrived: the officer's clock runs again.
            await self.move(dossier.code, "processing", SUPPLEMENT_RECEIVED)
        return web.json_response(
            {"id": number, "document_name": name.strip(), "size": len(data)}, status=201
        )

    async def _withdraw(self, request: web.Request) -> web.Response:
        dossier = await self._dossier(request)
        if "withdrawn" not in TRANSITIONS[dossier.status]:
            raise ContractError(
                409, "illegal_transition", "this dossier can no longer be withdrawn"
            )
        return web.json_response(await self.move(dossier.code, "withdrawn", "Công dân rút hồ sơ"))

    async def _transition(self, request: web.Request) -> web.Response:
        # Not read first: the move finds the dossier, or answers 404, with the moves made with it.
        if not CODE_PATTERN.fullmatch(request.match_info["code"]):
            raise ContractError(404, "not_found", "no such dossier")
        body = await _json_object(request)
        status, note = body.get("status"), body.get("note", "")
        if not isinstance(status, str) or status not in LABELS:
            raise ContractError(
                422, "validation_failed", "unknown status", {"status": "one of the contract's"}
            )
        if not isinstance(note, str) or len(note) > 2000:
            raise ContractError(
                422, "validation_failed", "note must be text", {"note": "up to 2000 characters"}
            )
        return web.json_response(await self.move(request.match_info["code"], status, note))

    async def _reschedule(self, request: web.Request) -> web.Response:
        dossier = await self._dossier(request)
        body = await _json_object(request)
        raw, reason = body.get("due_date"), body.get("reason", "")
        try:
            new_date = date.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            new_date = None
        if new_date is None or new_date <= date.fromisoformat(dossier.due_date):
            raise ContractError(
                422,
                "validation_failed",
                "the new date must be later than the due date",
                {"due_date": "YYYY-MM-DD after the current due date"},
            )
        if not isinstance(reason, str) or len(reason) > 2000:
            raise ContractError(
                422, "validation_failed", "reason must be text", {"reason": "up to 2000 characters"}
            )
        if dossier.status in CLOSED:
            raise ContractError(409, "closed", "the dossier is no longer being processed")
        return web.json_response(await self.reschedule(dossier.code, new_date, reason))

    async def reschedule(self, code: str, new_date: date, reason: str = "") -> dict[str, Any]:
        """The desk's apology slip (Form 04): a new date for the result of a late dossier.

        The legal due date stays as it was (the dossier still counts as late); the new date is
        shown beside it.
        """
        async with self._lock:
            dossier = await self._known(code)
            record = {**dossier.record, "extended_due_date": new_date.isoformat()}
            record["delay_reason"] = reason
            await self.store.set_record(code, record)
            await self.store.commit()
            return await self._view(replace(dossier, record=record))

    async def move(self, code: str, status: str, note: str = "") -> dict[str, Any]:
        """The officer moves a dossier; the webhook is queued in the same transaction.

        Moves asked for while others are being made wait and are then made together, in one
        transaction (group commit, see ``_make_moves``): a desk moving a thousand dossiers at
        once costs a few commits, not a thousand queued behind each other.

        Raises:
            ContractError: no such dossier (404), or a move its status does not allow (409).
        """
        done: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._moves.append(_Move(code, status, note, done))
        if self._mover is None or self._mover.done():
            self._mover = asyncio.create_task(self._make_moves(), name="sandbox-moves")
        return await asyncio.shield(done)

    async def _make_moves(self) -> None:
        """Make the moves waiting, all of them together, until none is left.

        A move the status machine refuses fails alone; should the store fail (nothing of the
        batch is then kept), every move of the batch fails with it, as one alone would.
        """
        while self._moves:
            batch, self._moves = self._moves, []
            try:
                outcomes = await self._move_all(batch)
            except Exception as error:
                outcomes = [error] * len(batch)
            for move, outcome in zip(batch, outcomes, strict=True):
                if move.done.done():
                    continue
                if isinstance(outcome, Exception):
                    move.done.set_exception(outcome)
                else:
                    move.done.set_result(outcome)

    async def _move_all(self, moves: Sequence[_Move]) -> list[dict[str, Any] | Exception]:
        """Apply ``moves`` in order in one transaction; per move its view, or its refusal."""
        async with self._lock:
            now = self._now()
            try:
                current = await self.store.get_many({move.code for move in moves})
                changed: dict[str, StoredDossier] = {}
                outcomes: list[StoredDossier | ContractError] = []
                histories: list[tuple[str, str, datetime, str]] = []
                webhooks: list[tuple[str, str, str, datetime]] = []
                for move in moves:
                    try:
                        moved = self._moved(current.get(move.code), move.status, now)
                    except ContractError as refused:
                        outcomes.append(refused)
                        continue
                    current[move.code] = changed[move.code] = moved
                    outcomes.append(moved)
                    histories.append((move.code, move.status, now, move.note))
                    callback = moved.record.get("callback_url")
                    if isinstance(callback, str) and callback:
                        event = {
                            "event_id": uuid.uuid4().hex,
                            "event": STATUS_CHANGED,
                            "code": move.code,
                            "status": move.status,
                            "note": move.note,
                            "occurred_at": now.isoformat(),
                        }
                        body = json.dumps(event, ensure_ascii=False)
                        webhooks.append((event["event_id"], callback, body, now))
                if changed:
                    await self.store.update_many(list(changed.values()))
                    await self.store.add_histories(histories)
                    await self.store.queue_webhooks(webhooks)
                    await self.store.commit()
            except BaseException:
                await self.store.rollback()
                raise
            made = [outcome for outcome in outcomes if isinstance(outcome, StoredDossier)]
            views = iter(await self._views(made))
        if webhooks:
            self._wake.set()
        return [
            outcome if isinstance(outcome, ContractError) else next(views) for outcome in outcomes
        ]

    def _moved(self, dossier: StoredDossier | None, status: str, now: datetime) -> StoredDossier:
        """The dossier once moved to ``status`` at ``now``: its due date pushed on by the days
        it waited for the citizen, paused again when the citizen must act now."""
        if dossier is None:
            raise ContractError(404, "not_found", "no such dossier")
        if status not in TRANSITIONS[dossier.status]:
            raise ContractError(
                409,
                "illegal_transition",
                f"a dossier in {dossier.status} cannot move to {status}",
            )
        moved = replace(dossier, status=status, updated_at=now)
        if dossier.status in CITIZEN_ACTS and dossier.paused_since is not None:
            paused = self._calendar.between(
                dossier.paused_since.astimezone(VIETNAM).date(), now.astimezone(VIETNAM).date()
            )
            due = date.fromisoformat(dossier.due_date)
            moved = replace(
                moved, due_date=self._calendar.add(due, paused).isoformat(), paused_since=None
            )
        if status in CITIZEN_ACTS:
            moved = replace(moved, paused_since=now)
        return moved

    # --- payment -----------------------------------------------------------------------------

    async def _pay_page(self, request: web.Request) -> web.Response:
        dossier = await self._known(request.match_info["code"])
        amount = f"{dossier.fee_amount:,}".replace(",", ".")
        state = "Đã thanh toán" if dossier.fee_paid else "Chưa thanh toán"
        button = (
            ""
            if dossier.fee_paid
            else '<form method="post"><button type="submit">Thanh toán</button></form>'
        )
        page = (
            '<!doctype html><html lang="vi"><meta charset="utf-8"><title>Thanh toán</title>'
            f"<h1>Thanh toán hồ sơ {html.escape(dossier.code)}</h1>"
            f"<p>Số tiền: {amount} ₫ — {state}</p>{button}"
            "<p>Cổng thanh toán thử nghiệm: không có tiền thật nào được chuyển.</p></html>"
        )
        return web.Response(text=page, content_type="text/html")

    async def _pay(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        async with self._lock:
            dossier = await self._known(code)
            if not dossier.fee_paid:
                await self.store.update(replace(dossier, fee_paid=True))
                await self.store.commit()
        if dossier.status == "payment_required":
            await self.move(code, "processing", "Đã nhận thanh toán")
        raise web.HTTPSeeOther(f"{SANDBOX_PREFIX}/pay/{code}")

    # --- helpers -----------------------------------------------------------------------------

    async def _dossier(self, request: web.Request) -> StoredDossier:
        return await self._known(request.match_info["code"])

    async def _known(self, code: str) -> StoredDossier:
        dossier = await self.store.get(code) if CODE_PATTERN.fullmatch(code) else None
        if dossier is None:
            raise ContractError(404, "not_found", "no such dossier")
        return dossier

    async def _view(self, dossier: StoredDossier) -> dict[str, Any]:
        """A dossier as the contract shows it (no applicant data: the caller has it)."""
        (view,) = await self._views([dossier])
        return view

    async def _views(self, dossiers: Sequence[StoredDossier]) -> list[dict[str, Any]]:
        """Several dossiers as the contract shows them, their histories read together."""
        codes = {dossier.code for dossier in dossiers}
        histories = await self.store.histories(codes)
        attachments = await self.store.attachment_names(codes)
        today = self._now().astimezone(VIETNAM).date()
        return [
            self._shown(dossier, today, histories[dossier.code], attachments[dossier.code])
            for dossier in dossiers
        ]

    def _shown(
        self,
        dossier: StoredDossier,
        today: date,
        history: Sequence[tuple[str, str, str]],
        attachments: list[str],
    ) -> dict[str, Any]:
        fee: dict[str, Any] = {
            "amount": dossier.fee_amount,
            "currency": "VND",
            "paid": dossier.fee_paid,
        }
        if dossier.fee_amount > 0:
            fee["payment_url"] = f"{self.public_url}{SANDBOX_PREFIX}/pay/{dossier.code}"
        delivery = dossier.record["delivery"]
        return {
            "code": dossier.code,
            "status": dossier.status,
            "label": LABELS[dossier.status],
            "procedure_code": dossier.procedure_code,
            "procedure_name": dossier.record.get("procedure_name", ""),
            "submitted_at": dossier.submitted_at.isoformat(),
            "updated_at": dossier.updated_at.isoformat(),
            "due_date": dossier.due_date,
            "overdue": dossier.status not in CLOSED
            and today > date.fromisoformat(dossier.due_date),
            **{
                key: dossier.record[key]
                for key in ("extended_due_date", "delay_reason")
                if dossier.record.get(key)
            },
            "fee": fee,
            "delivery": {
                "method": delivery["method"],
                **({"address": delivery["address"]} if delivery.get("address") else {}),
            },
            "history": [{"status": s, "at": at, "note": note} for s, at, note in history],
            "attachments": attachments,
        }

    async def _send_webhooks(self) -> None:
        """Deliver queued webhooks until cancelled: at once when queued, then with backoff.

        A round's webhooks are sent side by side and their outcomes kept in one commit: a
        crash before it sends them again, which receivers recognise by the event id.
        """
        limit = asyncio.Semaphore(WEBHOOK_CONCURRENCY)
        while True:
            self._wake.clear()
            try:
                due = await self.store.due_webhooks(self._now(), WEBHOOK_ROUND)
                acknowledged = await asyncio.gather(*(self._deliver(w, limit) for w in due))
                await self._settle(list(zip(due, acknowledged, strict=True)))
            except Exception:  # the loop must outlive one bad round
                logger.exception("sandbox webhook round failed")
            if due := await self.store.due_webhooks(self._now(), 1):
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._webhook_backoff / 2)

    async def _deliver(self, webhook: PendingWebhook, limit: asyncio.Semaphore) -> bool:
        """Send one webhook, signed now; whether the receiver acknowledged it (2xx)."""
        assert self._http is not None
        raw = webhook.body.encode()
        stamp = str(int(self._now().timestamp()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: stamp,
            SIGNATURE_HEADER: sign(self.webhook_secret, stamp, raw),
        }
        async with limit:
            try:
                async with self._http.post(webhook.url, data=raw, headers=headers) as response:
                    return 200 <= response.status < 300
            except (aiohttp.ClientError, TimeoutError) as error:
                logger.info("sandbox webhook %s: %s", webhook.event_id, type(error).__name__)
                return False

    async def _settle(self, outcomes: Sequence[tuple[PendingWebhook, bool]]) -> None:
        """Keep a round's outcomes: acknowledged ones (and those tried too often) are done,
        the others tried again after a backoff doubling with each attempt."""
        now = self._now()
        finished: list[str] = []
        retries: list[tuple[str, int, datetime]] = []
        for webhook, acknowledged in outcomes:
            attempts = webhook.attempts + 1
            if acknowledged:
                finished.append(webhook.event_id)
            elif attempts >= self._webhook_attempts:
                logger.warning(
                    "sandbox webhook %s given up after %d attempts", webhook.event_id, attempts
                )
                finished.append(webhook.event_id)
            else:
                delay = min(self._webhook_backoff * 2 ** (attempts - 1), 3600.0)
                retries.append((webhook.event_id, attempts, now + timedelta(seconds=delay)))
        if not outcomes:
            return
        async with self._lock:
            try:
                await self.store.webhooks_delivered(finished, now)
                await self.store.webhooks_retried(retries)
                await self.store.commit()
            except BaseException:
                await self.store.rollback()
                raise


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        raise ContractError(400, "bad_request", "the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ContractError(400, "bad_request", "the body must be a JSON object")
    return body


def _ids(record: Mapping[str, Any]) -> list[str]:
    """The ID numbers that may look a dossier up: the applicant's and the represented person's."""
    found = []
    for who in ("applicant", "on_behalf_of"):
        person = record.get(who)
        if isinstance(person, dict) and isinstance(person.get("id_number"), str):
            found.append(person["id_number"])
    return found


def _text_field(
    fields: dict[str, str], where: str, value: Any, *, limit: int, optional: bool = False
) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        fields[where] = f"text of 1 to {limit} characters"


def _person(fields: dict[str, str], where: str, person: Any, *, applicant: bool) -> None:
    if not isinstance(person, dict):
        fields[where] = "an object"
        return
    _text_field(fields, f"{where}.full_name", person.get("full_name"), limit=100)
    id_number = person.get("id_number")
    if not isinstance(id_number, str) or not ID_NUMBER.fullmatch(id_number):
        fields[f"{where}.id_number"] = "a 12-digit personal identification number"
    if applicant:
        phone = person.get("phone")
        if not isinstance(phone, str) or not PHONE.fullmatch(phone):
            fields[f"{where}.phone"] = "a Vietnamese phone number, e.g. +84912345678"
        _text_field(fields, f"{where}.address", person.get("address"), limit=300)
        _text_field(fields, f"{where}.email", person.get("email"), limit=254, optional=True)
        return
    _text_field(fields, f"{where}.relationship", person.get("relationship"), limit=100)
    consent = person.get("consent")
    if not isinstance(consent, dict) or consent.get("method") not in ("code", "in_person"):
        fields[f"{where}.consent"] = "how the person consented: code or in_person, and when"
    elif not isinstance(consent.get("at"), str):
        fields[f"{where}.consent.at"] = "when the person consented (ISO 8601)"


def _validate(body: Mapping[str, Any]) -> dict[str, str]:
    """Field -> what is expected, for every field that is wrong."""
    fields: dict[str, str] = {}
    if not isinstance(body.get("procedure_code"), str):
        fields["procedure_code"] = "a national procedure code, e.g. 1.001193"
    _person(fields, "applicant", body.get("applicant"), applicant=True)
    if body.get("on_behalf_of") is not None:
        _person(fields, "on_behalf_of", body.get("on_behalf_of"), applicant=False)
    form = body.get("form", {})
    if not isinstance(form, dict):
        fields["form"] = "an object"
    elif len(json.dumps(form, ensure_ascii=False)) > MAX_FORM_BYTES:
        fields["form"] = "at most 32 kB"
    delivery = body.get("delivery")
    if not isinstance(delivery, dict) or delivery.get("method") not in ("pickup", "post"):
        fields["delivery.method"] = "pickup or post"
    elif delivery["method"] == "post":
        _text_field(fields, "delivery.address", delivery.get("address"), limit=300)
    callback = body.get("callback_url")
    if callback is not None and (not isinstance(callback, str) or not URL.fullmatch(callback)):
        fields["callback_url"] = "an http(s) URL"
    return fields
