"""A dossier still open past its due date: the web-chat citizen gets one apology, with the new
date when the one-stop officer gave one (``motcua portal-sandbox reschedule``), and none while
the portal's clock was paused for the citizen."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from portal_support import KNOWLEDGE, WebCitizen, fill_birth_registration, web_citizen
from support.apps import serving
from support.clock import ManualClock

from bot.app import App
from bot.cli import main

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")
SORRY = "We are sorry"


def env(tmp_path: Path) -> dict[str, str]:
    return {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}


async def file_one(app: App, citizen: WebCitizen) -> str:
    """File a birth registration and wait for its receipt; its code."""
    app.start_background()
    await fill_birth_registration(citizen)
    await citizen.press("f:send")
    found = CODE.search(await citizen.pushed("Dossier code"))
    assert found is not None
    return found.group(0)


async def apologies(citizen: WebCitizen) -> list[str]:
    return [e["text"] for e in await citizen.history() if SORRY in e["text"]]


async def test_a_late_dossier_gets_one_apology_with_the_officers_new_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    async with (
        serving(env(tmp_path), knowledge=KNOWLEDGE, clock=clock) as app,
        web_citizen(app) as citizen,
    ):
        code = await file_one(app, citizen)
        await app.portal.client.transition(code, "accepted")
        filed = await app.portal.client.get_dossier(code, "001190012345")
        assert filed.due_date is not None
        assert await app.statuses.overdue_once() == 0  # not late yet

        # The officer gives a new date (the apology slip) with the officer's command.
        new_date = (filed.due_date + timedelta(days=7)).isoformat()
        monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("MOTCUA_PORTAL_URL", app.portal.url)
        command = ["portal-sandbox", "reschedule", code, new_date, "--reason", "Chờ xác minh"]
        assert await asyncio.to_thread(main, command) == 0
        too_early = ["portal-sandbox", "reschedule", code, filed.due_date.isoformat()]
        assert await asyncio.to_thread(main, too_early) == 1  # not later: refused, nothing kept

        clock.advance(days=(filed.due_date - clock.now().date()).days + 2)
        assert await app.statuses.overdue_once() == 1
        apology = await citizen.pushed(SORRY)
        assert code in apology and "Chờ xác minh" in apology
        assert clock_format(new_date) in apology
        assert await app.statuses.overdue_once() == 0  # told once
        await asyncio.sleep(0.2)
        assert len(await apologies(citizen)) == 1


async def test_a_late_dossier_without_a_new_date_gets_the_apology_alone(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    async with (
        serving(env(tmp_path), knowledge=KNOWLEDGE, clock=clock) as app,
        web_citizen(app) as citizen,
    ):
        code = await file_one(app, citizen)
        await app.portal.client.transition(code, "accepted")
        filed = await app.portal.client.get_dossier(code, "001190012345")
        assert filed.due_date is not None
        clock.advance(days=(filed.due_date - clock.now().date()).days + 2)
        assert await app.statuses.overdue_once() == 1
        apology = await citizen.pushed(SORRY)
        assert "has not given a new date yet" in apology


async def test_a_dossier_whose_clock_paused_is_not_late(tmp_path: Path) -> None:
    clock = ManualClock()
    async with (
        serving(env(tmp_path), knowledge=KNOWLEDGE, clock=clock) as app,
        web_citizen(app) as citizen,
    ):
        code = await file_one(app, citizen)
        await app.portal.client.transition(code, "accepted")
        await app.portal.client.transition(code, "processing")
        filed = await app.portal.client.get_dossier(code, "001190012345")
        assert filed.due_date is not None
        await app.portal.client.transition(code, "supplement_required", "Thiếu giấy chứng sinh")
        clock.advance(days=30)  # the citizen took a month to bring the paper
        assert await app.statuses.overdue_once() == 0  # the desk waits for the citizen
        await app.portal.client.transition(code, "processing")
        moved = await app.portal.client.get_dossier(code, "001190012345")
        assert moved.due_date is not None and moved.due_date > filed.due_date
        assert clock.now().date() > filed.due_date  # late by the first date, not by the new one
        assert await app.statuses.overdue_once() == 0
        assert await apologies(citizen) == []


def clock_format(iso: str) -> str:
    """A date as the English catalog shows it (``Dec 3, 2026``)."""
    day = date.fromisoformat(iso)
    return f"{day:%b} {day.day}, {day.year}"
