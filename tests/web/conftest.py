"""Fixtures for the web chat: the composed app on a test server, with a scripted dialog.

Every test here runs in the event loop its pytest worker keeps for the session, so that one
Chromium serves them all (a launch costs Playwright's driver and the browser's start-up, about a
second each time); each test still gets a fresh browser context: its own cookies and storage.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page, async_playwright
from support.schema import migrated
from webchat_support import Client, NoKnowledge, ScriptedDialog

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from dialogs.ports import KnowledgeBase

SHARED_LOOP = pytest.mark.asyncio(loop_scope="session")
"""The loop of every test in this folder: the one the shared browser was started in."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run this folder's asynchronous tests in the worker's session loop."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("asyncio"):
            item.add_marker(SHARED_LOOP, append=False)


@pytest_asyncio.fixture(loop_scope="session")
async def settings(tmp_path: Path) -> Settings:
    """Embedded defaults on a freshly migrated SQLite file in a temporary folder."""
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await migrated(settings.database_url)
    return settings


@pytest.fixture
def scripted() -> ScriptedDialog:
    """The stand-in conversation."""
    return ScriptedDialog()


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings, scripted: ScriptedDialog) -> AsyncIterator[App]:
    """The composed app with the scripted dialog (and the real catalogs, for the page's words)."""
    async with build_app(settings, knowledge=NoKnowledge(), dialog=scripted) as built:
        yield built


@pytest_asyncio.fixture(loop_scope="session")
async def client(app: App) -> AsyncIterator[Client]:
    """An HTTP client for the app's server."""
    async with TestClient(TestServer(web_application(app))) as test_client:
        yield test_client


CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    """Debian's headless Chromium, started the first time a test asks for it in this worker."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@asynccontextmanager
async def phone_page(browser: Browser, url: str, width: int = 390) -> AsyncIterator[Page]:
    """A phone-sized page in a browser context of its own, opened on ``url`` and ready."""
    context = await browser.new_context(
        viewport={"width": width, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
    )
    try:
        page = await context.new_page()
        await page.goto(url)
        await page.wait_for_selector("body[data-ready=true]")
        yield page
    finally:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, client: Client) -> AsyncIterator[Page]:
    """The web chat with the scripted dialog, in the browser."""
    async with phone_page(browser, str(client.make_url("/"))) as opened:
        yield opened


@pytest_asyncio.fixture(loop_scope="session")
async def real_page(browser: Browser, settings: Settings) -> AsyncIterator[Page]:
    """The web chat on the whole real stack (shipped knowledge base, dialogs, catalogs)."""
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as real_client,
        phone_page(browser, str(real_client.make_url("/"))) as opened,
    ):
        yield opened


@pytest_asyncio.fixture(loop_scope="session")
async def small_phone_page(browser: Browser, settings: Settings) -> AsyncIterator[Page]:
    """The whole real stack on the narrowest phone screen in use, 320 CSS pixels wide."""
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as real_client,
        phone_page(browser, str(real_client.make_url("/")), width=320) as opened,
    ):
        yield opened


@pytest.fixture
def page_over(
    browser: Browser, settings: Settings
) -> Callable[[KnowledgeBase], AbstractAsyncContextManager[Page]]:
    """Opens the web chat on the real stack over a knowledge base the test chooses."""

    @asynccontextmanager
    async def opened(knowledge: KnowledgeBase) -> AsyncIterator[Page]:
        async with (
            build_app(settings, knowledge=knowledge) as app,
            TestClient(TestServer(web_application(app))) as real_client,
            phone_page(browser, str(real_client.make_url("/"))) as page,
        ):
            yield page

    return opened
