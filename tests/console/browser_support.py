"""The whole app served with Telegram on its fake, and Chromium pages for staff and citizens."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from bot.cli import main

SCREENSHOTS = os.environ.get("MOTCUA_CONSOLE_SCREENSHOTS")
"""A folder to save the console's screenshots in (the README's come from here)."""


async def cli(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    """Run ``motcua ARGV`` as a staff member would, with ``stdin`` as its standard input."""
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return await asyncio.to_thread(main, list(argv))


@asynccontextmanager
async def closing_contexts(browser: Browser) -> AsyncIterator[None]:
    """Close the browser contexts (pages, cookies) opened in the block: the worker's Chromium
    serves the next test with none of them."""
    before = set(browser.contexts)
    try:
        yield
    finally:
        for context in browser.contexts:
            if context not in before:
                await context.close()


async def phone(browser: Browser, url: str) -> Page:
    """A phone-sized page in its own context (its own cookies), opened on ``url``."""
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN"
    )
    page = await context.new_page()
    await page.goto(url)
    await page.wait_for_selector("body[data-ready=true]")
    return page


async def sign_in(
    page: Page, base: str, email: str, password: str, landing: str = "/console/"
) -> None:
    """Fill in the console's sign-in form; wait for the page the role lands on."""
    await page.goto(f"{base}/console/login")
    await page.get_by_label("Thư điện tử").fill(email)
    await page.get_by_label("Mật khẩu").fill(password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url(f"{base}{landing}")


async def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page when ``MOTCUA_CONSOLE_SCREENSHOTS`` names a folder."""
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)
