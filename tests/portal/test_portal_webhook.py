"""``motcua serve``'s portal side: the in-process sandbox, the webhook receiver, the officer CLI."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from portal_support import KNOWLEDGE, body, post_webhook, status_event
from sqlalchemy import func, select
from support.apps import serving
from support.clock import ManualClock

from bot.app import App
from bot.cli import main
from bot.storage.tables import InboxRow
from integrations.portal.contract import sign

OCCURRED = datetime(2026, 11, 24, 8, tzinfo=UTC)


def env(tmp_path: Path) -> dict[str, str]:
    """The embedded defaults, with the in-process sandbox on any free port."""
    return {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}


async def events_kept(app: App) -> int:
    async with app.database.transaction() as session:
        return int(
            await session.scalar(
                select(func.count()).select_from(InboxRow).where(InboxRow.channel == "portal")
            )
            or 0
        )


def event(event_id: str = "ev-1") -> bytes:
    return status_event("000.00.20.H39-261124-0001", "accepted", event_id, OCCURRED)


async def test_serve_without_a_portal_runs_the_sandbox_in_process(tmp_path: Path) -> None:
    async with serving(env(tmp_path), knowledge=KNOWLEDGE, clock=ManualClock()) as app:
        assert app.portal.sandbox is not None
        filed = await app.portal.client.create_dossier(body(), "k")
    assert filed.code.startswith("000.00.20.H39-")
    assert (tmp_path / "portal-sandbox.sqlite3").exists()


async def test_forged_stale_and_replayed_webhooks_change_nothing(tmp_path: Path) -> None:
    clock = ManualClock()
    async with serving(env(tmp_path), knowledge=KNOWLEDGE, clock=clock) as app:
        secret = app.portal.webhook_secret
        now = str(int(clock.now().timestamp()))
        raw = event()
        assert await post_webhook(app, raw, now, sign("not-the-secret", now, raw)) == 401
        assert await post_webhook(app, raw, now, "") == 401
        stale = str(int(clock.now().timestamp()) - 301)
        assert await post_webhook(app, raw, stale, sign(secret, stale, raw)) == 400
        assert await events_kept(app) == 0
        assert await post_webhook(app, raw, now, sign(secret, now, raw)) == 200
        assert await post_webhook(app, raw, now, sign(secret, now, raw)) == 200
        assert await events_kept(app) == 1
        nonsense = b'{"event": "dossier.status_changed"}'
        assert await post_webhook(app, nonsense, now, sign(secret, now, nonsense)) == 400


async def test_the_officer_command_moves_a_dossier_on_the_running_sandbox(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serving(env(tmp_path), knowledge=KNOWLEDGE, clock=ManualClock()) as app:
        filed = await app.portal.client.create_dossier(body(), "k")
        monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("MOTCUA_PORTAL_URL", app.portal.url)
        args = ["portal-sandbox", "move", filed.code, "accepted", "--note", "Đủ giấy tờ"]
        assert await asyncio.to_thread(main, args) == 0
        illegal = ["portal-sandbox", "move", filed.code, "returned"]
        assert await asyncio.to_thread(main, illegal) == 1
        shown = await app.portal.client.get_dossier(filed.code, "001190012345")
    out, err = capsys.readouterr()
    assert f"{filed.code}: accepted (Đã tiếp nhận)" in out
    assert "cannot move to returned" in err
    assert "Traceback" not in err
    assert shown.status == "accepted" and shown.note == "Đủ giấy tờ"
