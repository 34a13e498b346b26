"""The portal client against a portal that fails: retries with backoff, timeouts, nonsense."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from portal_support import body

from dialogs.errors import PortalUnavailable
from integrations.portal import HttpPortalClient

DOSSIER = {
    "code": "000.00.20.H39-261124-0001",
    "status": "submitted",
    "label": "Mới đăng ký",
    "procedure_code": "1.001193",
    "submitted_at": "2026-11-24T08:00:00+00:00",
    "updated_at": "2026-11-24T08:00:00+00:00",
    "due_date": "2026-11-25",
    "overdue": False,
    "fee": {"amount": 0, "currency": "VND", "paid": True},
    "delivery": {"method": "pickup"},
    "history": [{"status": "submitted", "at": "2026-11-24T08:00:00+00:00", "note": ""}],
}


@asynccontextmanager
async def portal_answering(
    answer: Callable[[int, web.Request], web.StreamResponse | None],
    keys: list[str],
    delay: float = 0.0,
) -> AsyncIterator[str]:
    """A stand-in portal; ``answer(n, request)`` decides the n-th answer."""

    async def handle(request: web.Request) -> web.StreamResponse:
        keys.append(request.headers.get("Idempotency-Key", ""))
        await asyncio.sleep(delay)
        return answer(len(keys), request) or web.json_response(DOSSIER, status=201)

    app = web.Application()
    app.router.add_post("/api/v1/dossiers", handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        await web.SockSite(runner, listener).start()
        try:
            yield f"http://127.0.0.1:{listener.getsockname()[1]}"
        finally:
            await runner.cleanup()


async def test_5xx_is_retried_with_the_same_idempotency_key() -> None:
    keys: list[str] = []

    def flaky(n: int, _request: web.Request) -> web.StreamResponse | None:
        return web.Response(status=503) if n <= 2 else None

    async with (
        portal_answering(flaky, keys) as url,
        HttpPortalClient(url, "key", backoff=0.01) as client,
    ):
        filed = await client.create_dossier(body(), "abc-123")
    assert filed.code == DOSSIER["code"]
    assert keys == ["abc-123"] * 3


async def test_a_portal_that_keeps_failing_is_unavailable_after_the_attempts() -> None:
    keys: list[str] = []
    async with (
        portal_answering(lambda _n, _r: web.Response(status=500), keys) as url,
        HttpPortalClient(url, "key", backoff=0.01, attempts=3) as client,
    ):
        with pytest.raises(PortalUnavailable):
            await client.create_dossier(body(), "k")
    assert len(keys) == 3


async def test_a_slow_portal_times_out() -> None:
    keys: list[str] = []
    async with (
        portal_answering(lambda _n, _r: None, keys, delay=1.0) as url,
        HttpPortalClient(url, "key", timeout=0.1, attempts=2, backoff=0.01) as client,
    ):
        with pytest.raises(PortalUnavailable):
            await client.create_dossier(body(), "k")
    assert len(keys) == 2


@pytest.mark.parametrize(
    "answer",
    [
        web.Response(text="<html>Bad gateway</html>", status=201),
        web.json_response({"code": 7}, status=201),
        web.json_response({**DOSSIER, "updated_at": "yesterday"}, status=201),
    ],
    ids=["html", "missing-fields", "bad-time"],
)
async def test_a_malformed_answer_is_unavailable_not_a_crash(answer: web.Response) -> None:
    keys: list[str] = []
    async with (
        portal_answering(lambda _n, _r: answer if _n == 1 else None, keys) as url,
        HttpPortalClient(url, "key", attempts=1) as client,
    ):
        with pytest.raises(PortalUnavailable):
            await client.create_dossier(body(), "k")


async def test_a_portal_that_is_not_there_is_unavailable() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    async with HttpPortalClient(url, "key", attempts=2, backoff=0.01) as client:
        with pytest.raises(PortalUnavailable):
            await client.create_dossier(body(), "k")
