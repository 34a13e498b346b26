"""The Chromium the browser tests share loads no web page of its own beside the tests' pages, and
keeps every feature Playwright turns off (tests/support/chromium.py says why both matter)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, async_playwright
from support.chromium import CHROMIUM_ARGS

pytestmark = pytest.mark.browser

PAGE = "data:text/html,<p>Xin ch%C3%A0o</p>"


async def test_a_browser_context_opens_no_page_of_the_browsers_own(browser: Browser) -> None:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(PAGE)
        session = await browser.new_browser_cdp_session()
        targets = (await session.send("Target.getTargets"))["targetInfos"]
        await session.detach()
    finally:
        await context.close()
    assert [target["url"] for target in targets if target["type"] == "browser_ui"] == []
    assert PAGE in [target["url"] for target in targets]


async def test_the_last_disable_features_switch_keeps_playwrights(chromium_path: str) -> None:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=[*CHROMIUM_ARGS, "--enable-automation"]
        )
        try:
            session = await launched.new_browser_cdp_session()
            command_line = await session.send("Browser.getBrowserCommandLine")
        finally:
            await launched.close()
    switches = [
        argument.removeprefix("--disable-features=").split(",")
        for argument in command_line["arguments"]
        if argument.startswith("--disable-features=")
    ]
    assert len(switches) == 2  # Playwright's, then the one Chromium reads
    assert set(switches[0]) <= set(switches[-1]), set(switches[0]) - set(switches[-1])
