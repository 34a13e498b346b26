"""Filing a birth registration in the web chat against the sandbox portal over HTTP, then
following it: the receipt, every status change the officer makes, pushed once each; forged,
stale and replayed webhooks reach nobody; a portal down when the dossier is sent."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from portal_support import (
    FORGED_STALE_AND_REPLAYED,
    KNOWLEDGE,
    down_portal_env,
    fill_birth_registration,
    forge_stale_and_replay,
    portal_back,
    web_citizen,
)
from support.apps import serving
from support.clock import ManualClock

from bot.storage.dossiers import SqlDossiers

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


def env(tmp_path: Path, **more: str) -> dict[str, str]:
    return {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0", **more}


async def test_a_newcomer_files_a_birth_registration_and_sees_every_change(
    tmp_path: Path,
) -> None:
    async with (
        serving(env(tmp_path), knowledge=KNOWLEDGE, clock=ManualClock()) as app,
        web_citizen(app) as citizen,
    ):
        app.start_background()
        review = await fill_birth_registration(citizen)
        assert "Nguyễn Minh Khôi" in review and "Your phone number: 0912345678" in review
        assert "Nov 20, 2026" in review
        assert "Sending" in await citizen.press("f:send")
        assert "already been sent" in await citizen.press("f:send")
        receipt = await citizen.pushed("Dossier code")
        found = CODE.search(receipt)
        assert found is not None
        code = found.group(0)
        assert "Fee: free of charge" in receipt
        for status, note, needle, times in [
            ("accepted", "", "Accepted by the one-stop desk", 1),
            ("processing", "", "Being processed", 1),
            ("supplement_required", "Thiếu giấy chứng sinh bản chính", "More papers needed", 1),
            ("processing", "", "Being processed", 2),
            ("result_ready", "", "Result ready", 1),
        ]:
            await app.portal.client.transition(code, status, note)
            assert note in await citizen.pushed(needle, times)
        # The polling loop finds nothing new: every change was announced already.
        assert await app.statuses.poll_once() == 0
        texts = [e["text"] for e in await citizen.history() if e["role"] == "bot"]
        # Their own code needs no ID number; "My dossiers" lists it with its state.
        assert f"Dossier {code}: Result ready" in await citizen.say(code)
        mine = await citizen.press("m:lookup")
        assert f"{code} (Đăng ký khai sinh): Result ready" in mine
    assert sum("Accepted by the one-stop desk" in t for t in texts) == 1
    assert sum("Being processed" in t for t in texts) == 2
    assert sum("Result ready" in t for t in texts) == 1
    assert sum("Dossier code" in t for t in texts) == 1
    assert "Collect it at the one-stop desk" in texts[-1]


async def test_a_dossier_waits_while_the_portal_is_down_and_is_sent_when_it_is_back(
    tmp_path: Path,
) -> None:
    settings, port = down_portal_env(tmp_path)
    clock = ManualClock()
    async with (
        serving(settings, knowledge=KNOWLEDGE, clock=clock) as app,
        web_citizen(app) as citizen,
    ):
        app.start_background()
        await fill_birth_registration(citizen)
        await citizen.press("f:send")
        await citizen.pushed("not answering right now")
        async with portal_back(tmp_path, port, clock.now):
            clock.advance(minutes=1)
            await app.dossiers.run_once()
            receipt = await citizen.pushed("Dossier code")
            await app.dossiers.run_once()
            filed = await app.portal.client.changed_since(clock.now() - timedelta(days=1))
    found = CODE.search(receipt)
    assert found is not None
    assert [d.code for d in filed] == [found.group(0)]


async def test_forged_stale_and_replayed_webhooks_never_reach_the_citizen(tmp_path: Path) -> None:
    clock = ManualClock()
    async with (
        serving(env(tmp_path), knowledge=KNOWLEDGE, clock=clock) as app,
        web_citizen(app) as citizen,
    ):
        app.start_background()
        await fill_birth_registration(citizen)
        await citizen.press("f:send")
        found = CODE.search(await citizen.pushed("Dossier code"))
        assert found is not None
        code = found.group(0)
        answers = await forge_stale_and_replay(app, code, clock.now())
        await citizen.pushed("Being processed")
        texts = [e["text"] for e in await citizen.history() if e["role"] == "bot"]
        async with app.database.transaction() as session:
            dossier = await SqlDossiers(session).by_code(code)
    assert answers == FORGED_STALE_AND_REPLAYED
    assert dossier is not None and dossier.status == "processing"
    assert sum("Accepted by the one-stop desk" in t for t in texts) == 1
    assert not any("Result ready" in t for t in texts)
