"""Fixtures for the staff console: the composed app on a test server and signed-in clients."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestServer
from console_support import Client, Staffing
from support.schema import migrated

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from webchat_support import NoKnowledge


@pytest_asyncio.fixture(loop_scope="session")
async def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Embedded defaults on a fresh SQLite file, also what ``motcua staff`` reads."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await migrated(settings.database_url)
    return settings


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings) -> AsyncIterator[App]:
    """The composed app with the real dialogs and catalogs and no procedures."""
    async with build_app(settings, knowledge=NoKnowledge(), platforms=False) as built:
        yield built


@pytest_asyncio.fixture(loop_scope="session")
async def server(app: App) -> AsyncIterator[TestServer]:
    """The app's server."""
    async with TestServer(web_application(app)) as test_server:
        yield test_server


@pytest_asyncio.fixture(loop_scope="session")
async def staffing(server: TestServer, monkeypatch: pytest.MonkeyPatch) -> Staffing:
    """Accounts made with the real ``motcua staff add``, and clients signed in as them."""
    return Staffing(server, monkeypatch)


@pytest_asyncio.fixture(loop_scope="session")
async def admin(staffing: Staffing) -> AsyncIterator[Client]:
    """A client signed in as the first admin."""
    await staffing.add("--admin", "admin@xa.vn")
    async with staffing.signed_in("admin@xa.vn") as client:
        yield client
