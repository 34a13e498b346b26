"""Joining the community digital-technology group from the chat, end to end: the short form
with its checks on the web chat and on Telegram (fake Bot API), a coordinator's decision in the
served console, the citizen told on their own app, and filing on someone else's behalf offered
to approved members only and taken away at once from a revoked one."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fakes.telegram import FakeTelegram
from portal_support import KNOWLEDGE, web_citizen
from sqlalchemy import func, select
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen, text_of
from support.clock import ManualClock
from support.volunteers import COORDINATOR, PASSWORD, console_session

from bot.app import App
from bot.cli import main
from bot.storage.staff import SqlStaff
from bot.storage.tables import DossierRow


@asynccontextmanager
async def motcua(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[App, FakeTelegram]]:
    """``motcua serve`` with Telegram on its fake, the sandbox portal in-process, and a
    coordinator added with ``motcua staff add --coordinator``."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_PORTAL_SANDBOX_PORT": "0",
            **telegram_env(telegram),
        }
        async with serving(env, knowledge=KNOWLEDGE, clock=ManualClock()) as app:
            app.start_background()
            monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
            added = await asyncio.to_thread(main, ["staff", "add", "--coordinator", COORDINATOR])
            assert added == 0
            yield app, telegram


async def test_a_web_chat_citizen_joins_is_approved_files_for_a_neighbour_then_is_revoked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        motcua(tmp_path, monkeypatch) as (app, _telegram),
        web_citizen(app) as binh,
        console_session(app) as coordinator,
    ):
        assert "Question 1 of 3" in await binh.press("m:join")
        assert "without digits" in await binh.say("Bình 2")
        assert "Question 2 of 3" in await binh.say("Trần Văn Bình")
        assert "Is it Phường Ba Đình, Hà Nội?" in await binh.say("phuong Ba Dinh")
        assert "Question 3 of 3" in await binh.press("nw:ok:4")
        assert "not a Vietnamese phone number" in await binh.say("091 234")
        review = await binh.say("0912 345 678")
        assert "Name: Trần Văn Bình" in review and "Commune: Phường Ba Đình, Hà Nội" in review
        assert "Phone: 0912345678" in review  # as typed, not +84…
        assert "with the group's coordinators" in await binh.press("vo:send")
        assert "waiting for a coordinator" in await binh.press("m:join")

        # Not a member yet: a filing is for oneself only; "for someone else" is out of date.
        await binh.press("f:go:1.004873")
        first = await binh.press("f:ok")
        assert "Question 1 of 7" in first and "Who is this dossier for?" not in first
        assert "out of date" in await binh.press("f:w:other")

        assert await coordinator.sign_in(COORDINATOR) == "/console/volunteers"
        status, page = await coordinator.page("/console/volunteers")
        assert status == 200 and "Trần Văn Bình" in page and "+84912345678" in page
        assert await coordinator.decide("Trần Văn Bình", "approve") == 303
        assert "Your request was approved" in await binh.pushed("Welcome to the")

        await binh.press("f:go:1.004873")
        assert "Who is this dossier for?" in await binh.press("f:ok")
        assert "1 of 3" in await binh.press("f:w:other")
        await binh.say("Lê Thị Mai")
        await binh.say("038156012345")
        assert "agree, in front of you" in await binh.say("hàng xóm")

        # Revoked while the filing is open: the next tap finds no longer a member.
        assert await coordinator.decide("Trần Văn Bình", "revoke") == 303
        assert "file dossiers for other people" in await binh.pushed("no longer a member")
        stopped = await binh.press("f:fc:yes")
        assert "Only members of the digital-technology group can file for someone else" in stopped
        await binh.press("f:go:1.004873")
        assert "Question 1 of 7" in await binh.press("f:ok")

        async with app.database.transaction() as session:
            audit = await SqlStaff(session).audit_log(None, 10)
            filed = await session.scalar(select(func.count()).select_from(DossierRow))
    assert [e.action for e in audit][:2] == ["volunteer_revoke", "volunteer_approve"]
    assert {e.staff_email for e in audit[:2]} == {COORDINATOR}
    assert audit[0].commune == "00004" and audit[0].target == audit[1].target
    assert filed == 0  # nothing was filed for the neighbour


async def test_a_telegram_citizen_is_refused_asks_again_and_is_approved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with motcua(tmp_path, monkeypatch) as (app, telegram), console_session(app) as hoa:
        citizen = TelegramCitizen(telegram, app)
        [menu] = await citizen.say("/start")
        assert "Tham gia tổ công nghệ số" in menu.labels
        [first] = await citizen.tap("Tham gia tổ công nghệ số")
        assert "Câu 1/3" in first.text
        assert "Câu 2/3" in text_of(await citizen.say("Nguyễn Thị Hoà"))
        [found] = await citizen.say("phường Ba Đình")
        assert "Đúng, nơi tôi ở" in found.labels
        assert "Câu 3/3" in text_of(await citizen.tap("Đúng, nơi tôi ở"))
        assert "không phải số điện thoại Việt Nam" in text_of(await citizen.say("+1 212 555"))
        [review] = await citizen.say("0912345678")
        assert "Họ tên: Nguyễn Thị Hoà" in review.text and "Gửi yêu cầu" in review.labels
        await citizen.tap("Gửi yêu cầu")

        await hoa.sign_in(COORDINATOR)
        assert await hoa.decide("Nguyễn Thị Hoà", "reject") == 303
        assert "bộ phận một cửa của xã" in await citizen.pushed("chưa được duyệt")
        # A refused citizen may ask again.
        [again] = await citizen.tap("Tham gia tổ công nghệ số")
        assert "Câu 1/3" in again.text
        for step in ("Nguyễn Thị Hoà", "phường Ba Đình"):
            await citizen.say(step)
        await citizen.tap("Đúng, nơi tôi ở")
        await citizen.say("0912345678")
        await citizen.tap("Gửi yêu cầu")
        assert await hoa.decide("Nguyễn Thị Hoà", "approve") == 303
        welcome = await citizen.pushed("Chào mừng bạn đến với tổ công nghệ số")
        assert "Nộp hồ sơ" in welcome
