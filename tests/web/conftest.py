"""Fixtures for the web chat: the composed app on a test server, with a scripted dialog, in the
worker's session event loop (tests/conftest.py says why)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, Page
from support.schema import migrated
from webchat_support import Client, NoKnowledge, ScriptedDialog

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from dialogs.ports import KnowledgeBase


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
