"""Every console page passes an axe-core check in headless Chromium: no serious or critical
finding. axe-core is vendored under ``tests/vendor/axe-core`` (see its PROVENANCE.md)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from browser_support import closing_contexts, phone, screenshot, sign_in
from console_support import PASSWORD, Staffing
from playwright.async_api import Browser, Page

from bot.announcements.compose import Author, Draft, compose
from bot.announcements.store import SqlAnnouncements
from bot.app import App
from bot.storage.handoffs import SqlHandoffs
from bot.storage.volunteers import SqlVolunteers
from dialogs.messages import ConversationRef

pytestmark = pytest.mark.browser

AXE = Path(__file__).parents[1] / "vendor" / "axe-core" / "axe.min.js"
AXE_SHA256 = "fb83a4378d978ecb7d2dae48a3a3778a84c971ac692f3afd45d714fba89c0f0d"


async def serious_findings(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, each with where it is."""
    source = AXE.read_bytes()
    assert hashlib.sha256(source).hexdigest() == AXE_SHA256, "the vendored axe-core changed"
    await page.add_script_tag(content=source.decode())
    # Only violations are collected in full: axe-core's documented option for speed, which
    # leaves the violations it finds as they are.
    result = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def test_every_console_page_has_no_serious_accessibility_finding(
    staffing: Staffing, server: TestServer, app: App, browser: Browser
) -> None:
    await staffing.add("--admin", "admin@xa.vn")
    async with app.database.transaction() as session:
        asked = await SqlHandoffs(session).request(
            ConversationRef("web", "citizen-1"), "00004", app.console.clock.now()
        )
        draft = Draft("Lịch tiêm chủng", link="https://xa.vn", communes=["00004"])
        now = app.console.clock.now()
        composed = compose(draft, Author.command_line(), now, lambda message: message)
        announced = await SqlAnnouncements(session).create(composed, Author.command_line(), now)
        volunteers = SqlVolunteers(session)
        await volunteers.ask(
            ConversationRef("web", "citizen-2"), "Trần Văn Bình", 4, "+84912345678", now
        )
        member = await volunteers.ask(
            ConversationRef("telegram", "42"), "Nguyễn Thị Hoà", 4, "+84987654321", now
        )
        await volunteers.decide(member.id, "approve", "dieu.phoi@xa.vn", now)
    base = str(server.make_url("")).rstrip("/")
    pages = [
        "/console/",
        f"/console/conversations/{asked.id}",
        "/console/dossiers",
        "/console/communes",
        "/console/communes/00004",
        "/console/learn",
        "/console/analytics",
        "/console/knowledge?q=khai+sinh",
        "/console/announcements",
        "/console/announcements/new",
        f"/console/announcements/{announced.id}",
        "/console/volunteers",
        "/console/audit",
        "/console/accounts",
        "/console/no-such-page",
    ]
    async with closing_contexts(browser):
        page = await phone(browser, f"{base}/console/login")
        assert await serious_findings(page) == [], "/console/login"
        await sign_in(page, base, "admin@xa.vn", PASSWORD)
        for path in pages:
            await page.goto(base + path)
            await page.wait_for_selector("body[data-ready=true]")
            assert await serious_findings(page) == [], path
        await page.goto(f"{base}/console/communes/00004")
        await page.get_by_label("Điện thoại").fill("not a phone")
        await page.get_by_role("button", name="Lưu").click()
        await page.wait_for_selector("body[data-ready=true]")
        assert await serious_findings(page) == [], "a form with errors"
        await screenshot(page, "console-commune-errors")
        await page.goto(f"{base}/console/announcements/new")
        await page.get_by_role("button", name="Gửi hoặc hẹn giờ gửi").click()
        await page.wait_for_selector("body[data-ready=true]")
        assert await serious_findings(page) == [], "an announcement with errors"
        await page.get_by_label("Nội dung tiếng Việt (tối đa 2000 ký tự)").fill("Họp dân")
        await page.get_by_label("Mã xã, cách nhau bằng dấu phẩy").fill("00004")
        await page.get_by_role("button", name="Xem trước").click()
        await page.wait_for_selector(".preview")
        assert await serious_findings(page) == [], "an announcement's preview"
