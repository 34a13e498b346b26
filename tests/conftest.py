"""Suite-wide fixtures: optional PostgreSQL (with the session's own database) and Redis, and the
Chromium used by browser tests.

The web chat's and the console's tests run in the event loop each pytest worker keeps for the
session, so that one Chromium serves them all (a launch costs Playwright's driver and the
browser's start-up, about a second each time); each test opens browser contexts of its own
(its own cookies and storage), closed after it.
"""

from __future__ import annotations

import copy
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from argon2 import PasswordHasher, profiles
from playwright.async_api import Browser, async_playwright
from storage.databases import _postgres_database  # noqa: F401
from support.chromium import CHROMIUM_ARGS
from support.intervals import SHORT_INTERVALS
from support.procedures import shipped_index

from bot import logs
from bot.console import passwords
from knowledge.base import LocalKnowledgeBase

POSTGRES_URL = os.environ.get("MOTCUA_TEST_POSTGRES_URL")
REDIS_URL = os.environ.get("MOTCUA_TEST_REDIS_URL")
CHROMIUM = os.environ.get("MOTCUA_TEST_CHROMIUM") or shutil.which("chromium")
SHARED_LOOP_FOLDERS = [Path(__file__).parent / "web", Path(__file__).parent / "console"]
"""Folders whose tests run in the worker's session event loop, the one its Chromium runs in."""


@pytest.fixture
def postgres_url() -> str:
    """The PostgreSQL URL for tests; skips visibly when none is configured."""
    if not POSTGRES_URL:
        pytest.skip("MOTCUA_TEST_POSTGRES_URL not set: PostgreSQL tests skipped")
    return POSTGRES_URL


@pytest.fixture
def redis_url() -> str:
    """The Redis URL for tests; skips visibly when none is configured."""
    if not REDIS_URL:
        pytest.skip("MOTCUA_TEST_REDIS_URL not set: Redis tests skipped")
    return REDIS_URL


@pytest.fixture(scope="session")
def knowledge() -> LocalKnowledgeBase:
    """The shipped knowledge base, loaded and indexed once a worker for every test that reads it.

    A module that needs a knowledge base of its own defines its own ``knowledge``.
    """
    return LocalKnowledgeBase.load()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium for Playwright; skips visibly when it is not installed."""
    if not CHROMIUM:
        pytest.skip("no Chromium found (install Debian's chromium): browser tests skipped")
    return CHROMIUM


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    """Debian's headless Chromium, started the first time a test of this worker asks for it."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(autouse=True, scope="session")
def _short_intervals() -> Iterator[None]:
    """Every ``motcua`` process a test starts (and every command run in this one) looks for
    work and retries Redis within tenths of a second, not the production seconds a test would
    sit out; a value already set in the environment stays."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in SHORT_INTERVALS.items():
            patch.setenv(name, os.environ.get(name, value))
        yield


@pytest.fixture(autouse=True, scope="session")
def _redacted_logs() -> Iterator[None]:
    """Log records are stamped and redacted as every ``motcua`` command sets them up."""
    logs.install()
    yield
    logs.uninstall()


@pytest.fixture(autouse=True, scope="session")
def _shipped_knowledge_read_once() -> Iterator[None]:
    """The shipped knowledge base is indexed once per run and read back once per test process
    (``support.procedures.shipped_index``).

    Every load of it gives a shallow copy: the procedures and their index are immutable and
    shared, while lessons taught and procedures replaced stay with the copy that got them.
    """
    load = LocalKnowledgeBase.load
    indexed: list[LocalKnowledgeBase] = []

    def load_once(path: str | Path | None = None, cache: Path | None = None) -> LocalKnowledgeBase:
        if path is not None:
            return load(path, cache)
        if not indexed:
            indexed.append(LocalKnowledgeBase(shipped_index()))
        return copy.copy(indexed[0])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(LocalKnowledgeBase, "load", staticmethod(load_once))
        yield


@pytest.fixture(autouse=True, scope="session")
def _cheapest_password_hashes() -> Iterator[None]:
    """Staff passwords are hashed with argon2-cffi's ``CHEAPEST`` profile, the one it ships for
    tests: the same argon2id code, without the 64 MiB and three passes each sign-in costs in
    production (tenths of a second per hash, in every console test).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", PasswordHasher.from_parameters(profiles.CHEAPEST))
        yield


def pytest_configure(config: pytest.Config) -> None:
    """One folder of built knowledge indexes for the whole run (``MOTCUA_CACHE_DIR``, unless
    set): made before pytest-xdist starts its workers, which inherit it with the environment,
    as do the ``motcua`` processes tests start. The first process to need the shipped index
    builds it there and every other reads it back (``knowledge.cache``)."""
    if hasattr(config, "workerinput") or os.environ.get("MOTCUA_CACHE_DIR"):
        return
    folder = tempfile.mkdtemp(prefix="motcua-test-cache-")
    os.environ["MOTCUA_CACHE_DIR"] = folder
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    config.add_cleanup(lambda: os.environ.pop("MOTCUA_CACHE_DIR", None))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``pytest -n auto``: three workers for every two cores.

    A worker spends about two fifths of a run waiting (on the ``motcua`` processes it starts,
    on claims running out, on Chromium), with one core per worker that core idles meanwhile;
    a third worker's tests run in those waits. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still
    chooses the number, as pytest-xdist documents.
    """
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    usable = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may use
    cores = len(usable(0)) if usable else os.cpu_count() or 1
    return cores + cores // 2


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules with a slow or browser test run first, each module's tests still together.

    ``pytest -n auto`` hands whole modules to its workers in this order (``--dist loadfile``
    in pyproject.toml), each worker taking the next as it runs out: the longest modules start
    while every worker is free, and the run ends on short ones instead of keeping one worker
    in a slow test while the others have nothing left.
    """
    first = {
        item.path
        for item in items
        if item.get_closest_marker("slow") or item.get_closest_marker("browser")
    }
    items.sort(key=lambda item: item.path not in first)
    shared_loop = pytest.mark.asyncio(loop_scope="session")
    for item in items:
        shared = any(item.path.is_relative_to(folder) for folder in SHARED_LOOP_FOLDERS)
        if shared and item.get_closest_marker("asyncio"):
            item.add_marker(shared_loop, append=False)
