"""An admin imports new portal data in headless Chromium: chooses the file, watches the import,
reads what changes, puts it in force, and a citizen on the web chat is answered from it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from browser_support import cli, closing_contexts, phone, screenshot, sign_in
from playwright.async_api import Browser, expect
from support.apps import serving
from test_console_a11y import serious_findings
from test_knowledge_import import BIRTH, RAW, _knowledge, _new_portal_file, _source_folder

from bot.app import App, SystemClock
from bot.config import Settings

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu đủ dài 2026"


@pytest_asyncio.fixture(loop_scope="session")
async def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[App]:
    env = {
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_KNOWLEDGE_SOURCES": str(_source_folder(tmp_path)),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    knowledge = _knowledge(Settings.from_env(env))
    async with serving(env, knowledge=knowledge, clock=SystemClock()) as built:
        built.start_background()
        yield built


async def test_an_admin_imports_portal_data_and_citizens_are_answered_from_it(
    app: App, browser: Browser, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = app.settings.public_url
    assert base is not None
    assert await cli(monkeypatch, "staff", "add", "--admin", "admin@xa.vn", stdin=PASSWORD) == 0
    upload = tmp_path / RAW
    upload.write_bytes(_new_portal_file())

    async with closing_contexts(browser):
        admin = await phone(browser, f"{base}/console/login")
        await sign_in(admin, base, "admin@xa.vn", PASSWORD)
        await admin.get_by_role("link", name="Nhập dữ liệu của Cổng").click()
        assert await serious_findings(admin) == []
        await admin.get_by_label("Tệp dữ liệu của Cổng").set_input_files(str(upload))
        await admin.get_by_role("button", name="Tải lên và so sánh").click()
        # The page refreshes itself until the import is done.
        await expect(admin.get_by_role("heading", level=1)).to_contain_text(
            "Sẵn sàng để xem lại", timeout=60_000
        )
        await expect(admin.locator(".diff-added")).to_contain_text(BIRTH)
        assert await serious_findings(admin) == []
        await screenshot(admin, "knowledge-import")
        await admin.get_by_role("button", name="Áp dụng").click()
        await expect(admin.get_by_role("status")).to_contain_text("Đã áp dụng")

        citizen = await phone(browser, f"{base}/")
        await citizen.get_by_label("Câu hỏi của bạn").fill("dang ky khai sinh")
        await citizen.keyboard.press("Enter")
        await expect(citizen.get_by_role("log")).to_contain_text("Thủ tục đăng ký khai sinh")
