"""A staff answer to a citizen whose app has closed its messaging window (Zalo, 7 days) waits,
the console says so, and the citizen gets it first thing when they write again."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from console_support import Staffing, csrf
from fakes.zalo import FakeZalo
from support.apps import zalo_env
from support.citizens import ZaloCitizen, text_of
from support.schema import migrated

from bot.app import App, build_app
from bot.config import Settings
from bot.storage.handoffs import SqlHandoffs

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from webchat_support import NoKnowledge

USER = "2468458835296197922"


@pytest_asyncio.fixture(loop_scope="session")
async def zalo() -> AsyncIterator[FakeZalo]:
    async with FakeZalo() as fake:
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def app(
    zalo: FakeZalo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[App]:
    """The app with the Zalo Official Account on its fake, on the fake's clock."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))  # where ``motcua staff`` writes
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), **zalo_env(zalo)})
    await migrated(settings.database_url)
    async with build_app(settings, knowledge=NoKnowledge(), clock=zalo.clock) as built:
        yield built


async def test_an_answer_outside_the_window_waits_and_the_console_says_so(
    app: App, zalo: FakeZalo, staffing: Staffing
) -> None:
    zalo.webhook_url = str(staffing.server.make_url("/webhooks/zalo"))
    citizen = ZaloCitizen(zalo, app, USER)
    await citizen.say("menu")
    await citizen.say("Hỏi cán bộ")  # the menu is a numbered list on Zalo; the label works
    assert "Trước khi chuyển câu hỏi" in text_of(await citizen.say("Cho hỏi lịch làm việc"))
    await citizen.say("phuong ba dinh")  # the commune is asked for first
    assert "đã được chuyển tới cán bộ" in text_of(await citizen.tap("Đúng, nơi tôi ở"))
    zalo.clock.advance(timedelta(days=8))  # Zalo lets an OA write first for 7 days only

    await staffing.add("--admin", "admin@xa.vn")
    async with app.database.transaction() as session:
        [handoff] = await SqlHandoffs(session).listed(None)
    async with staffing.signed_in("admin@xa.vn") as admin:
        path = f"/console/conversations/{handoff.id}"
        token = await csrf(admin)
        assert (await admin.post(f"{path}/claim", data={"csrf": token})).status == 200
        answer = "Xã làm việc sáng thứ Bảy."
        assert (await admin.post(f"{path}/reply", data={"csrf": token, "text": answer})).ok
        await app.reminders.run_once()
        page = await (await admin.get(path)).text()
        assert "Đang chờ: ứng dụng của người dân hiện không cho phép nhắn tới họ" in page
        assert f"Cán bộ một cửa: {answer}" not in text_of(zalo.sent)

        later = text_of(await citizen.say("Còn ai ở đó không?"))
        assert later.startswith(f"Cán bộ một cửa: {answer}")
        page = await (await admin.get(path)).text()
        assert "Đang chờ" not in page and f"Cán bộ một cửa: {answer}" in page
