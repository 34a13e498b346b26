"""Fixtures for the HTTP edge: the served app with all four channels on their fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from edge_support import (
    APP_SECRET,
    FUZZ_EXAMPLES,
    PAGE_TOKEN,
    STATUSES,
    TELEGRAM_SECRET,
    VERIFY_TOKEN,
    Edge,
)
from fakes.messenger import FakeGraphApi
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from storage.databases import _empty_tables as empty_tables
from storage.databases import database_url  # noqa: F401
from support.apps import serving, telegram_env, zalo_env

from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from knowledge.base import LocalKnowledgeBase

FUZZ_POSTGRES_FROM = 1000


FUZZ_LIMITS = {
    "MOTCUA_LIMIT_WEB_ADDRESS": "1000000/minute",
    "MOTCUA_LIMIT_WEB_IDENTITY": "1000000/minute",
    "MOTCUA_LIMIT_WEB_HISTORY": "1000000/minute",
}
"""The fuzz sends every web-chat case as one visitor: past its rate limits, to reach the dialog."""


@asynccontextmanager
async def served(
    url: str | None,
    knowledge: LocalKnowledgeBase,
    data_dir: Path,
    extra: Mapping[str, str] | None = None,
) -> AsyncIterator[Edge]:
    """``motcua serve`` with web chat, Telegram (webhook), Messenger and Zalo all on; on
    the database at ``url``, or on the embedded SQLite file when None; ``extra`` settings."""
    async with FakeTelegram() as telegram, FakeZalo() as zalo:
        graph = FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=zalo.clock)
        env = {
            "MOTCUA_DATA_DIR": str(data_dir),
            **telegram_env(telegram),
            "MOTCUA_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            **zalo_env(zalo),
            "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
            "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
            "MOTCUA_MESSENGER_VERIFY_TOKEN": VERIFY_TOKEN,
            **(extra or {}),
        }
        if url is not None:
            env["MOTCUA_DATABASE_URL"] = url
        async with graph:
            env["MOTCUA_MESSENGER_API_URL"] = graph.api_url
            async with (
                serving(env, knowledge=knowledge, clock=zalo.clock) as app,
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
            ):
                zalo.webhook_url = f"{app.settings.public_url}{ZALO_WEBHOOK}"
                edge = Edge(app, session, telegram, graph, zalo)
                await edge.request("GET", "/")  # the web chat's identity cookie, as a page gets it
                yield edge
                await edge.settle()


@pytest.fixture
async def edge(knowledge: LocalKnowledgeBase, tmp_path: Path) -> AsyncIterator[Edge]:
    """The served app on the embedded SQLite file."""
    async with served(None, knowledge, tmp_path) as running:
        yield running


@pytest.fixture
async def edge_on_each_database(
    database_url: str,  # noqa: F811 (the shared SQLite / PostgreSQL fixture)
    knowledge: LocalKnowledgeBase,
    tmp_path: Path,
) -> AsyncIterator[Edge]:
    """The served app on SQLite, then on PostgreSQL (which refuses more text than SQLite)."""
    async with served(database_url, knowledge, tmp_path) as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
async def fuzzed_edge(
    request: pytest.FixtureRequest, knowledge: LocalKnowledgeBase, tmp_path: Path
) -> AsyncIterator[Edge]:
    """The served app for the fuzz tests: SQLite always; PostgreSQL too under ``make fuzz``
    (``make test`` keeps its time for the fault tests, which run on both)."""
    url = None
    if request.param == "postgres":
        if FUZZ_EXAMPLES < FUZZ_POSTGRES_FROM:
            pytest.skip("PostgreSQL is fuzzed by `make fuzz`")
        request.getfixturevalue("postgres_url")  # skips visibly when not configured
        url = request.getfixturevalue("_postgres_database")
        await empty_tables(url)
    async with served(url, knowledge, tmp_path, FUZZ_LIMITS) as running:
        yield running


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """How many answers of each status every fuzzed route gave in this run."""
    if not STATUSES:
        return
    terminalreporter.section("HTTP answers per route (fuzz)")
    for route, statuses in sorted(STATUSES.items()):
        counts = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
        server_errors = sum(n for status, n in statuses.items() if status >= 500)
        total = sum(statuses.values())
        terminalreporter.write_line(f"{route}: {total} requests, {server_errors} × 5xx ({counts})")
