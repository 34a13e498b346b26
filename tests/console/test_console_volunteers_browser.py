"""In headless Chromium: a coordinator made with the CLI signs in, lands on the
digital-technology group's page, approves a Telegram citizen's request to join and later
revokes the membership; the citizen is told of each on Telegram (fake Bot API) and can file for
someone else only in between."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from browser_support import cli, closing_contexts, phone, screenshot, sign_in
from fakes.telegram import FakeTelegram
from playwright.async_api import Browser, expect
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen, text_of

from bot.app import App, SystemClock
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu đủ dài 2026"
COORDINATOR = "dieu.phoi@xa.vn"


@pytest_asyncio.fixture(loop_scope="session")
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def app(
    telegram: FakeTelegram, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[App]:
    """``motcua serve`` with Telegram on its fake and its background loops (the outbox) on."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **telegram_env(telegram)}
    async with serving(env, knowledge=LocalKnowledgeBase.load(), clock=SystemClock()) as built:
        built.start_background()
        yield built


async def offered_whom(citizen: TelegramCitizen) -> list[str]:
    """Start a marital status confirmation and agree to the notice; the buttons offered next."""
    await citizen.tap("Nộp hồ sơ")
    await citizen.tap("Cấp Giấy xác nhận tình trạng hôn nhân")
    [after] = await citizen.tap("Tôi đồng ý")
    await citizen.say("/cancel")
    return after.labels


async def test_a_coordinator_approves_then_revokes_a_member(
    app: App, telegram: FakeTelegram, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = app.settings.public_url
    assert base is not None
    added = await cli(monkeypatch, "staff", "add", "--coordinator", COORDINATOR, stdin=PASSWORD)
    assert added == 0

    citizen = TelegramCitizen(telegram, app)
    await citizen.say("/start")
    await citizen.tap("Tham gia tổ công nghệ số")
    await citizen.say("Nguyễn Thị Hoà")
    await citizen.say("phường Ba Đình")
    await citizen.tap("Đúng, nơi tôi ở")
    await citizen.say("0912 345 678")
    assert "người điều phối" in text_of(await citizen.tap("Gửi yêu cầu"))
    assert "Cho người tôi đang giúp" not in await offered_whom(citizen)

    async with closing_contexts(browser):
        page = await phone(browser, f"{base}/console/login")
        await sign_in(page, base, COORDINATOR, PASSWORD, landing="/console/volunteers")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Tổ công nghệ số cộng đồng")
        row = page.get_by_role("row").filter(has_text="Nguyễn Thị Hoà")
        await expect(row).to_contain_text("Đang chờ duyệt")
        await expect(row).to_contain_text("+84912345678")
        await row.get_by_role("button", name="Duyệt").click()
        await expect(row).to_contain_text("Thành viên")
        await expect(row).to_contain_text(f"bởi {COORDINATOR}")
        await screenshot(page, "console-volunteers")
        assert "Yêu cầu của bạn đã được duyệt" in await citizen.pushed("Chào mừng")
        assert "Cho người tôi đang giúp" in await offered_whom(citizen)

        await row.get_by_role("button", name="Thu hồi tư cách thành viên").click()
        await expect(row).to_contain_text("Đã thu hồi tư cách thành viên")
        await expect(row.get_by_role("button")).to_have_count(0)
        assert "không thể nộp hồ sơ thay" in await citizen.pushed("không còn là thành viên")
        assert "Cho người tôi đang giúp" not in await offered_whom(citizen)

        await page.get_by_role("link", name="Tổ công nghệ số").click()
        await expect(page.get_by_role("link", name="Tài khoản")).to_have_count(0)
