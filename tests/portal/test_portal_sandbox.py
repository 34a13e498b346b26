"""The sandbox portal over HTTP through the real client: codes, idempotency, status machine,
working-day due dates, fees and payment, attachments and signed webhooks with retries."""

from __future__ import annotations

import errno
import gc
import json
import socket
import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from portal_support import body, receiving, running_sandbox
from support.clock import ManualClock

from bot.portal import serving_sandbox
from dialogs.errors import PortalAuthFailed, PortalConflict, PortalNotFound, PortalRejected
from integrations.portal import HttpPortalClient
from integrations.portal.contract import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    is_dossier_code,
    signature_valid,
)
from integrations.portal.sandbox import SandboxPortal

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


async def test_filing_answers_with_a_receipt_code_due_date_and_fee(tmp_path: Path) -> None:
    # Wednesday 3 February 2027, 08:00 in Hanoi: Tết runs from Thursday 4 to Wednesday 10.
    clock = ManualClock(datetime(2027, 2, 3, 1, 0, tzinfo=UTC))
    async with running_sandbox(tmp_path, now=clock.now) as portal:
        first = await portal.client.create_dossier(body(procedure_code="1.004194"), "key-1")
        second = await portal.client.create_dossier(body(), "key-2")
    assert first.code == "000.00.20.H39-270203-0001"
    assert second.code == "000.00.20.H39-270203-0002"
    assert is_dossier_code(first.code)
    assert (first.status, first.label) == ("submitted", "Mới đăng ký")
    # Three working days after Tết: Thursday 11, Friday 12, Monday 15.
    assert first.due_date == date(2027, 2, 15)
    assert first.fee.amount == 7000
    assert first.fee.payment_url == f"{portal.url}/sandbox/pay/{first.code}"
    assert second.fee.amount == 0 and second.fee.payment_url is None


async def test_a_key_files_once_and_refuses_another_body(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as portal:
        first = await portal.client.create_dossier(body(), "same-key")
        again = await portal.client.create_dossier(body(), "same-key")
        with pytest.raises(PortalConflict):
            await portal.client.create_dossier(body(procedure_code="1.004873"), "same-key")
        listed = await portal.client.changed_since(datetime(2020, 1, 1, tzinfo=UTC))
    assert again == first
    assert [d.code for d in listed] == [first.code]


async def test_invalid_dossiers_get_field_level_reasons(tmp_path: Path) -> None:
    bad = body(procedure_code="9.999999", delivery={"method": "post"})
    bad["applicant"] = {**bad["applicant"], "id_number": "12345678901", "phone": "0912 345 678"}
    async with running_sandbox(tmp_path) as portal:
        with pytest.raises(PortalRejected) as refused:
            await portal.client.create_dossier(bad, "bad-1")
    assert set(refused.value.fields) == {
        "procedure_code",
        "applicant.id_number",
        "applicant.phone",
        "delivery.address",
    }


async def test_a_wrong_api_key_is_refused(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as portal:
        async with HttpPortalClient(portal.url, "not-the-key") as stranger:
            with pytest.raises(PortalAuthFailed):
                await stranger.create_dossier(body(), "k")
        async with (
            aiohttp.ClientSession() as http,
            http.post(f"{portal.url}/api/v1/dossiers", data=b"{") as response,
        ):
            assert response.status == 401
            assert (await response.json())["error"]["code"] == "unauthorized"


async def test_the_status_machine_allows_only_its_transitions(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as portal:
        filed = await portal.client.create_dossier(body(), "k")
        with pytest.raises(PortalConflict):
            await portal.client.transition(filed.code, "result_ready")
        with pytest.raises(PortalRejected):
            await portal.client.transition(filed.code, "lost_in_the_post")
        await portal.client.transition(filed.code, "accepted")
        await portal.client.transition(filed.code, "processing")
        moved = await portal.client.transition(filed.code, "result_ready", "Mời nhận kết quả")
        with pytest.raises(PortalConflict):
            await portal.client.withdraw(filed.code)
    assert [c.status for c in moved.history] == [
        "submitted",
        "accepted",
        "processing",
        "result_ready",
    ]
    assert moved.note == "Mời nhận kết quả"


async def test_a_dossier_is_shown_only_with_its_applicants_id_number(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as portal:
        filed = await portal.client.create_dossier(body(), "k")
        shown = await portal.client.get_dossier(filed.code, "001190012345")
        with pytest.raises(PortalNotFound):
            await portal.client.get_dossier(filed.code, "001190099999")
        with pytest.raises(PortalNotFound):
            await portal.client.get_dossier("000.00.20.H39-261124-9999", "001190012345")
    assert shown.code == filed.code


async def test_the_due_date_waits_while_the_citizen_must_act(tmp_path: Path) -> None:
    clock = ManualClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))  # Monday
    async with running_sandbox(tmp_path, now=clock.now) as portal:
        filed = await portal.client.create_dossier(body(procedure_code="1.004873"), "k")
        # Three working days: Tuesday 24 is Vietnam Cultural Day, a public holiday from 2026.
        assert filed.due_date == date(2026, 11, 27)
        await portal.client.transition(filed.code, "accepted")
        await portal.client.transition(filed.code, "processing")
        await portal.client.transition(filed.code, "supplement_required", "Thiếu tờ khai")
        clock.advance(days=2)  # Wednesday: one working day (the 25th) with the citizen
        resumed = await portal.client.transition(filed.code, "processing")
        clock.advance(days=6)
        late = await portal.client.get_dossier(filed.code, "001190012345")
    assert resumed.due_date == date(2026, 11, 30)
    assert late.overdue


async def test_paying_on_the_payment_page_resumes_processing(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as portal:
        filed = await portal.client.create_dossier(body(procedure_code="1.004194"), "k")
        for status in ("accepted", "processing", "payment_required"):
            await portal.client.transition(filed.code, status)
        assert filed.fee.payment_url is not None
        async with aiohttp.ClientSession() as http:
            async with http.get(filed.fee.payment_url) as page:
                assert "7.000 ₫" in await page.text()
            async with http.post(filed.fee.payment_url) as paid:
                assert paid.status == 200
        after = await portal.client.get_dossier(filed.code, "001190012345")
    assert after.fee.paid
    assert after.status == "processing"


async def test_attachments_must_be_what_they_claim(tmp_path: Path) -> None:
    async with running_sandbox(tmp_path) as portal:
        filed = await portal.client.create_dossier(body(), "k")
        await portal.client.add_attachment(
            filed.code, "Giấy chứng sinh", "a.jpg", "image/jpeg", JPEG
        )
        with pytest.raises(PortalRejected) as refused:
            await portal.client.add_attachment(
                filed.code, "Tờ khai", "photo.jpg", "image/jpeg", EXE
            )
        with pytest.raises(PortalRejected):
            await portal.client.add_attachment(filed.code, "Tờ khai", "a.exe", "application/x", EXE)
    assert "file" in refused.value.fields


async def test_status_webhooks_are_signed_and_retried_until_acknowledged(tmp_path: Path) -> None:
    async with (
        receiving(failures=2) as receiver,
        running_sandbox(tmp_path, webhook_backoff=0.05) as portal,
    ):
        filed = await portal.client.create_dossier(body(callback_url=receiver.url), "k")
        await portal.client.transition(filed.code, "accepted", "Đã nhận đủ giấy tờ")
        await receiver.wait_for(3)
        secret = portal.sandbox.webhook_secret
    bodies = [raw for _headers, raw in receiver.calls]
    assert len(set(bodies)) == 1
    event = json.loads(bodies[0])
    assert event["event"] == "dossier.status_changed"
    assert (event["code"], event["status"], event["note"]) == (
        filed.code,
        "accepted",
        "Đã nhận đủ giấy tờ",
    )
    for headers, raw in receiver.calls:
        assert signature_valid(secret, headers[TIMESTAMP_HEADER], raw, headers[SIGNATURE_HEADER])


async def test_polling_lists_what_changed_since(tmp_path: Path) -> None:
    clock = ManualClock()
    async with running_sandbox(tmp_path, now=clock.now) as portal:
        old = await portal.client.create_dossier(body(), "k1")
        clock.advance(minutes=5)
        mark = clock.now()
        new = await portal.client.create_dossier(body(), "k2")
        clock.advance(minutes=5)
        await portal.client.transition(old.code, "accepted")
        changed = await portal.client.changed_since(mark - timedelta(seconds=1))
    assert [d.code for d in changed] == [new.code, old.code]


async def test_a_sandbox_that_cannot_listen_on_its_port_moves_over_and_leaves_no_socket_open(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes starting at once both bind the port (both with SO_REUSEADDR) and the
    second to listen is refused. The sandbox then serves on a free port, and the socket that
    could not listen is closed, not left for the garbage collector."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listen = socket.socket.listen

    def refused_on_the_port(sock: socket.socket, *args: int) -> None:
        if sock.getsockname()[1] == port:
            raise OSError(errno.EADDRINUSE, "Address already in use")
        listen(sock, *args)

    monkeypatch.setattr(socket.socket, "listen", refused_on_the_port)
    sandbox = SandboxPortal(tmp_path / "sandbox.sqlite3", {}, public_url="http://127.0.0.1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with sandbox, serving_sandbox(sandbox, "127.0.0.1", port) as url:
            assert not url.endswith(f":{port}")
            async with aiohttp.ClientSession() as http, http.get(url + "/") as answer:
                assert answer.status < 500
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
