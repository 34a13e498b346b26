"""What staff learn, in headless Chromium: a citizen's unanswered question on the web chat is
linked by staff in the console and answered the next time; the citizen rates a finished
checklist; staff see the charts; another commune's staff get 403; axe finds nothing serious."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from browser_support import cli, closing_contexts, phone, screenshot, sign_in
from playwright.async_api import Browser, Page, expect
from support.apps import serving
from support.procedures import MARRIAGE, PROCEDURES
from test_console_a11y import serious_findings

from bot.app import App, SystemClock
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu đủ dài 2026"
UNKNOWN = "thủ tục cho chó mèo đi tiêm phòng"


@pytest_asyncio.fixture(loop_scope="session")
async def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    """``motcua serve`` over a few real procedures."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    env = {"MOTCUA_DATA_DIR": str(tmp_path)}
    async with serving(env, knowledge=LocalKnowledgeBase(PROCEDURES), clock=SystemClock()) as built:
        built.start_background()
        yield built


async def _say(citizen: Page, text: str) -> None:
    await citizen.get_by_label("Câu hỏi của bạn").fill(text)
    await citizen.keyboard.press("Enter")


async def _tap(citizen: Page, label: str) -> None:
    await citizen.locator("#log button:enabled", has_text=label).last.click()


async def test_staff_teach_an_unanswered_question_and_see_the_figures(
    app: App, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = app.settings.public_url
    assert base is not None
    assert await cli(monkeypatch, "staff", "add", "--admin", "admin@xa.vn", stdin=PASSWORD) == 0
    added = await cli(
        monkeypatch, "staff", "add", "can.bo@xa.vn", "--commune", "00004", stdin=PASSWORD
    )
    assert added == 0

    async with closing_contexts(browser):
        citizen = await phone(browser, f"{base}/")
        log = citizen.get_by_role("log")
        await _say(citizen, UNKNOWN)
        await expect(log).to_contain_text("chưa tìm thấy thủ tục")

        staff = await phone(browser, f"{base}/console/login")
        await sign_in(staff, base, "admin@xa.vn", PASSWORD)
        await staff.get_by_role("link", name="Câu hỏi cần xem").click()
        group = staff.locator(".queue li", has_text=UNKNOWN)
        await expect(group).to_have_count(1)
        assert await serious_findings(staff) == [], "/console/learn"
        await screenshot(staff, "console-learn")
        await group.get_by_label("Mã thủ tục").fill(MARRIAGE.code)
        await group.get_by_role("button", name="Gắn với thủ tục này").click()
        await expect(staff.get_by_role("status")).to_contain_text("Đã lưu")

        await _say(citizen, "thu tuc cho cho meo tiem phong")
        await expect(log).to_contain_text(MARRIAGE.name)
        await _tap(citizen, "Xem giấy tờ cần chuẩn bị")
        for _ in range(sum(len(g.documents) for g in MARRIAGE.documents)):
            rating = citizen.locator("#log button:enabled", has_text="👍 Có ích")
            if await rating.count():
                break
            await _tap(citizen, "Có rồi")
            await citizen.wait_for_selector("body[data-ready=true]")
        await _tap(citizen, "👍 Có ích")
        await expect(log).to_contain_text("gõ góp ý")
        await _say(citizen, "Rất rõ ràng")
        await expect(log).to_contain_text("cán bộ sẽ đọc")

        await staff.get_by_role("link", name="Số liệu").click()
        await expect(staff.locator("svg.chart")).to_have_count(6)
        await expect(staff.locator("main")).to_contain_text("Rất rõ ràng")
        await expect(staff.locator("main")).to_contain_text(MARRIAGE.name)
        assert await serious_findings(staff) == [], "/console/analytics"
        await screenshot(staff, "console-analytics")
        await staff.get_by_role("link", name="Cơ sở tri thức").click()
        await staff.get_by_label("Tìm như người dân hỏi, hoặc gõ mã thủ tục").fill("ket hon")
        await staff.keyboard.press("Enter")
        await expect(staff.get_by_role("link", name=MARRIAGE.name)).to_be_visible()
        assert await serious_findings(staff) == [], "/console/knowledge?q="
        await staff.get_by_role("link", name=MARRIAGE.name).click()
        await expect(staff.locator("main")).to_contain_text(UNKNOWN)
        assert await serious_findings(staff) == [], "/console/knowledge/CODE"

        other = await phone(browser, f"{base}/console/login")
        await sign_in(other, base, "can.bo@xa.vn", PASSWORD)
        refused = await other.goto(f"{base}/console/analytics?commune=00007")
        assert refused is not None and refused.status == 403


async def test_a_procedures_card_fits_a_phone_320_pixels_wide(
    app: App, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The card as citizens see it was a block of unbroken lines: on a phone 320 px wide its
    portal link and papers ran off the right edge and the whole page scrolled sideways."""
    base = app.settings.public_url
    assert await cli(monkeypatch, "staff", "add", "--admin", "admin@xa.vn", stdin=PASSWORD) == 0
    async with closing_contexts(browser):
        staff = await phone(browser, f"{base}/console/login")
        await staff.set_viewport_size({"width": 320, "height": 640})
        await sign_in(staff, base, "admin@xa.vn", PASSWORD)
        await staff.goto(f"{base}/console/knowledge/{MARRIAGE.code}")
        await expect(staff.locator(".answer")).to_contain_text(MARRIAGE.source_url)
        wide, shown = await staff.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert wide <= shown
