"""Logs name the failure and the request, never the citizen: redaction and request ids."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from support.procedures import BIRTH

from bot import logs
from bot.app import build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.schema_head import prepare_database
from knowledge.base import LocalKnowledgeBase

PERSONAL = "số điện thoại 0912 345 678, CCCD 001090012345, thư an.nguyen@example.vn"


def test_configure_redacts_phone_id_and_email_in_messages_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    logs.uninstall()
    logs.configure()  # what every motcua command does first
    log = logging.getLogger("motcua.test")
    try:
        raise ValueError(f"cannot parse {PERSONAL}")
    except ValueError:
        log.exception("lookup failed for %s", "+84 912 345 678")

    [record] = caplog.records
    assert record.getMessage() == "lookup failed for <phone>"
    assert "ValueError: cannot parse số điện thoại <phone>, CCCD <id>, thư <email>" in caplog.text
    assert "Traceback" in caplog.text
    for secret in ("345 678", "001090012345", "example.vn", "912"):
        assert secret not in caplog.text


def test_concealed_text_is_hidden_only_within_its_unit_of_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = logging.getLogger("motcua.test")
    with logs.unit_of_work("req-1"):
        logs.conceal("toi muon lam ho chieu cho con", "u-77")  # "u-77" is too short to matter
        log.error("dialog said: toi muon lam ho chieu cho con")
    with logs.unit_of_work("req-2"):
        log.error("dialog said: toi muon lam ho chieu cho con")

    first, second = caplog.records
    assert (first.request_id, first.getMessage()) == ("req-1", "dialog said: <text>")
    assert second.request_id == "req-2"
    assert second.getMessage() == "dialog said: toi muon lam ho chieu cho con"


def test_only_plain_tokens_are_accepted_as_request_ids() -> None:
    assert logs.accepted_request_id("lb-4f2a.9") == "lb-4f2a.9"
    for forged in ("a b", "x\nERROR forged line", "x" * 65, ""):
        assert logs.accepted_request_id(forged) != forged
    assert len(logs.accepted_request_id(None)) == 32


async def test_every_answer_carries_a_request_id_and_a_caller_id_is_kept(tmp_path: Path) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await prepare_database(settings.database_url)
    async with (
        build_app(settings, knowledge=LocalKnowledgeBase([BIRTH])) as app,
        TestClient(TestServer(web_application(app))) as client,
    ):
        first = await client.get("/healthz")
        second = await client.get("/healthz")
        missing = await client.get("/no-such-page")
        kept = await client.get("/healthz", headers={"X-Request-Id": "lb-123"})

    ids = [r.headers["X-Request-Id"] for r in (first, second, missing)]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
    assert kept.headers["X-Request-Id"] == "lb-123"


@pytest.mark.parametrize(("table", "loop"), [("dossiers", "dossier"), ("reminders", "reminder")])
async def test_a_failing_background_round_is_logged_with_its_cause_and_an_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, table: str, loop: str
) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await prepare_database(settings.database_url)
    async with build_app(settings, knowledge=LocalKnowledgeBase([BIRTH])) as app:
        async with app.database.transaction() as session:
            await session.execute(text(f"DROP TABLE {table}"))
        worker = app.dossiers if loop == "dossier" else app.reminders
        app.run_in_background(loop, worker.run)
        for _ in range(200):
            failed = [r for r in caplog.records if r.getMessage() == f"{loop} round failed"]
            if failed:
                break
            await asyncio.sleep(0.02)

    [record, *_] = failed
    assert record.levelno == logging.ERROR and record.request_id != logs.NO_REQUEST
    assert record.exc_text is not None and f"no such table: {table}" in record.exc_text


def test_json_lines_carry_the_request_id_and_are_redacted_like_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``MOTCUA_LOG_FORMAT=json`` as ``motcua serve`` sets it up: one JSON object a line."""
    settings = Settings.from_env({"MOTCUA_LOG_FORMAT": "json"})
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    logs.uninstall()
    try:
        logs.configure(logging.INFO, json_lines=settings.log_format == "json")
        with logs.unit_of_work("req-json-1"):
            logs.conceal("toi muon lam ho chieu cho con")
            try:
                raise ValueError(f"cannot parse {PERSONAL}: toi muon lam ho chieu cho con")
            except ValueError:
                logging.getLogger("motcua.test").exception("lookup failed for %s", "0912345678")
    finally:
        root.handlers, root.level = handlers, level
    [line] = capsys.readouterr().err.splitlines()
    record = json.loads(line)
    assert record["event"] == "lookup failed for <phone>"
    assert (record["level"], record["logger"]) == ("error", "motcua.test")
    assert record["request_id"] == "req-json-1"
    assert record["timestamp"].endswith("Z")
    assert "ValueError: cannot parse số điện thoại <phone>, CCCD <id>" in record["exception"]
    assert "<text>" in record["exception"]
    for secret in ("345 678", "001090012345", "example.vn", "ho chieu", "0912345678"):
        assert secret not in line


def test_an_unknown_log_format_stops_start_up() -> None:
    with pytest.raises(ValueError, match="MOTCUA_LOG_FORMAT must be one of text, json"):
        Settings.from_env({"MOTCUA_LOG_FORMAT": "xml"})
