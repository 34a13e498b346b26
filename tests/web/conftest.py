"""Fixtures for the web chat: the composed app on a test server, with a scripted dialog."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Page, async_playwright
from support.schema import migrated
from webchat_support import Client, NoKnowledge, ScriptedDialog

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from dialogs.ports import KnowledgeBase


@pytest.fixture
async def settings(tmp_path: Path) -> Settings:
    """Embedded defaults on a freshly migrated SQLite file in a temporary folder."""
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await migrated(settings.database_url)
    return settings


@pytest.fixture
def scripted() -> ScriptedDialog:
    """The stand-in conversation."""
    return ScriptedDialog()


@pytest.fixture
async def app(settings: Settings, scripted: ScriptedDialog) -> AsyncIterator[App]:
    """The composed app with the scripted dialog (and the real catalogs, for the page's words)."""
    async with build_app(settings, knowledge=NoKnowledge(), dialog=scripted) as built:
        yield built


@pytest.fixture
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


@asynccontextmanager
async def phone_page(chromium_path: str, url: str, width: int = 390) -> AsyncIterator[Page]:
    """A phone-sized page in Debian's headless Chromium, opened on ``url`` and ready."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(
                viewport={"width": width, "height": 844},
                is_mobile=True,
                has_touch=True,
                locale="vi-VN",
            )
            page = await context.new_page()
            await page.goto(url)
            await page.wait_for_selector("body[data-ready=true]")
            yield page
        finally:
            await browser.close()


@pytest.fixture
async def page(chromium_path: str, client: Client) -> AsyncIterator[Page]:
    """The web chat with the scripted dialog, in the browser."""
    async with phone_page(chromium_path, str(client.make_url("/"))) as opened:
        yield opened


@pytest.fixture
async def real_page(chromium_path: str, settings: Settings) -> AsyncIterator[Page]:
    """The web chat on the whole real stack (shipped knowledge base, dialogs, catalogs)."""
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as real_client,
        phone_page(chromium_path, str(real_client.make_url("/"))) as opened,
    ):
        yield opened


@pytest.fixture
async def small_phone_page(chromium_path: str, settings: Settings) -> AsyncIterator[Page]:
    """The whole real stack on the narrowest phone screen in use, 320 CSS pixels wide."""
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as real_client,
        phone_page(chromium_path, str(real_client.make_url("/")), width=320) as opened,
    ):
        yield opened


@pytest.fixture
def page_over(
    chromium_path: str, settings: Settings
) -> Callable[[KnowledgeBase], AbstractAsyncContextManager[Page]]:
    """Opens the web chat on the real stack over a knowledge base the test chooses."""

    @asynccontextmanager
    async def opened(knowledge: KnowledgeBase) -> AsyncIterator[Page]:
        async with (
            build_app(settings, knowledge=knowledge) as app,
            TestClient(TestServer(web_application(app))) as real_client,
            phone_page(chromium_path, str(real_client.make_url("/"))) as page,
        ):
            yield page

    return opened
