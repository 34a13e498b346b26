"""The announcements page in headless Chromium, end to end: a citizen chooses their commune in
the web chat; staff compose an announcement, preview it per app, send it now and watch its
progress reach "delivered" without a reload while the citizen's chat shows it; a scheduled one
is cancelled before its time and nobody gets it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from browser_support import cli, closing_contexts, phone, screenshot, sign_in
from playwright.async_api import Browser, Page, expect
from support.apps import serving

from bot.announcements.store import SqlAnnouncements, State
from bot.app import App, SystemClock
from bot.handoffs import VIETNAM
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu đủ dài 2026"
TEXT = "Ngày 10/12 trạm y tế phường tiêm vắc-xin sởi cho trẻ dưới 5 tuổi."


@pytest_asyncio.fixture(loop_scope="session")
async def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """``motcua serve`` with its background loops (the announcements' sender) on."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    env = {"MOTCUA_DATA_DIR": str(tmp_path)}
    async with serving(env, knowledge=LocalKnowledgeBase.load(), clock=SystemClock()) as built:
        built.start_background()
        yield built


async def _subscribe(citizen: Page) -> None:
    """The citizen chooses Phường Ba Đình in the web chat."""
    log = citizen.get_by_role("log")
    await citizen.get_by_label("Câu hỏi của bạn").fill("menu")
    await citizen.keyboard.press("Enter")
    await citizen.locator('#log button:enabled[data-payload="m:news"]').last.click()
    await expect(log).to_contain_text("Bạn ở xã, phường nào?")
    await citizen.get_by_label("Câu hỏi của bạn").fill("phuong ba dinh")
    await citizen.keyboard.press("Enter")
    await citizen.get_by_role("button", name="Đúng, nơi tôi ở").last.click()
    await expect(log).to_contain_text("xã, phường của bạn là Phường Ba Đình")


async def _compose(staff: Page, text: str) -> None:
    await staff.get_by_role("link", name="Thông báo", exact=True).click()
    await staff.get_by_role("link", name="Viết thông báo").click()
    await staff.get_by_label("Nội dung tiếng Việt (tối đa 2000 ký tự)").fill(text)
    await staff.get_by_label("Mã xã, cách nhau bằng dấu phẩy").fill("00004")


async def test_compose_preview_send_watch_progress_and_cancel_a_scheduled_one(
    app: App, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = app.settings.public_url
    assert base is not None
    assert await cli(monkeypatch, "staff", "add", "--admin", "admin@xa.vn", stdin=PASSWORD) == 0

    async with closing_contexts(browser):
        citizen = await phone(browser, f"{base}/")
        await _subscribe(citizen)

        staff = await phone(browser, f"{base}/console/login")
        await sign_in(staff, base, "admin@xa.vn", PASSWORD)
        await _compose(staff, TEXT)
        await staff.get_by_label("Đường dẫn (không bắt buộc, bắt đầu bằng https://)").fill(
            "https://xa.vn/tiem-soi"
        )
        await staff.get_by_role("button", name="Xem trước").click()
        previews = staff.locator(".preview")
        await expect(previews.locator("h3")).to_have_text(
            ["Telegram", "Zalo", "Messenger", "Trò chuyện trên web"]
        )
        await expect(previews.first).to_contain_text("📢 Thông báo của Phường Ba Đình, Hà Nội")
        await expect(previews.first).to_contain_text(TEXT)
        await expect(previews.first.locator(".button-preview")).to_contain_text(
            "https://xa.vn/tiem-soi"
        )
        # What was typed is still in the form, ready to send.
        await expect(staff.get_by_label("Mã xã, cách nhau bằng dấu phẩy")).to_have_value("00004")
        await screenshot(staff, "console-announcement-preview")
        await staff.get_by_role("button", name="Gửi hoặc hẹn giờ gửi").click()

        # The progress refreshes by itself until the citizen's web chat has it.
        await expect(staff.locator('[data-total="sent"]')).to_have_text("1", timeout=20_000)
        await expect(staff.locator('[data-total="queued"]')).to_have_text("0")
        await expect(staff.locator(".channel h3")).to_have_text("Trò chuyện trên web: xong 1/1")
        await expect(staff.locator(".badge").first).to_have_text("Đã gửi", timeout=20_000)
        # Sent, it can no longer be cancelled: its button goes with the progress, no reload.
        await expect(staff.get_by_role("button", name="Hủy thông báo này")).to_have_count(0)
        await screenshot(staff, "console-announcement-progress")
        await expect(citizen.get_by_role("log")).to_contain_text(TEXT, timeout=20_000)

        # A scheduled one, cancelled before its time.
        later = (app.console.clock.now() + timedelta(days=1)).astimezone(VIETNAM)
        await _compose(staff, "Họp dân ngày mai")
        await staff.get_by_label("Vào thời điểm đã chọn").check()
        await staff.get_by_label("Ngày giờ (giờ Việt Nam)").fill(later.strftime("%Y-%m-%dT%H:%M"))
        await staff.get_by_role("button", name="Gửi hoặc hẹn giờ gửi").click()
        await expect(staff.locator(".badge").first).to_have_text("Đã hẹn giờ")
        await expect(staff.locator(".facts")).to_contain_text(later.strftime("%d/%m/%Y %H:%M"))
        await staff.get_by_role("button", name="Hủy thông báo này").click()
        await expect(staff.locator(".badge").first).to_have_text("Đã hủy")
        await expect(staff.get_by_role("button", name="Hủy thông báo này")).to_have_count(0)

        await staff.get_by_role("link", name="Thông báo", exact=True).click()
        await expect(staff.locator("tbody tr")).to_have_count(2)
        await screenshot(staff, "console-announcements")

    async with app.database.transaction() as session:
        states = [a.state for a in await SqlAnnouncements(session).list(None, 10)]
    assert states == [State.CANCELLED, State.DONE]
