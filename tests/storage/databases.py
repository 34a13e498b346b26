"""Database fixtures: every storage test runs on a SQLite file and on PostgreSQL.

PostgreSQL tests get a database of their own, created for the session and dropped at its end,
with every table emptied before each test, so runs are repeatable and never touch other data.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from support.clock import ManualClock
from support.schema import migrated

from bot.storage.database import Database
from bot.storage.tables import Base


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run set-up work to completion on a loop of its own, apart from the tests' loops."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


async def create_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await engine.dispose()


async def drop_database(admin_url: str, name: str) -> None:
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database private to this test session (one per xdist worker).

    ``tests/conftest.py`` alone imports it: a session fixture imported into several conftest
    files is a fixture of each, created, migrated and dropped (a checkpoint) once per folder.
    """
    admin_url = os.environ["MOTCUA_TEST_POSTGRES_URL"]
    name = f"motcua_test_{uuid.uuid4().hex[:12]}"
    _run(create_database(admin_url, name))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        _run(migrated(url))
        yield url
    finally:
        _run(drop_database(admin_url, name))


async def _empty_tables(url: str) -> None:
    """Every row deleted, dependents first, and every sequence started again.

    DELETE rather than TRUNCATE: a test leaves a few rows, and TRUNCATE gives each of the
    tables and their indexes a new file, flushed at commit; on a busy server that took 0.3-1 s
    before each PostgreSQL test, where these deletes take 10-50 ms.
    """
    deletes = " ".join(
        f"DELETE FROM {table.name};" for table in reversed(Base.metadata.sorted_tables)
    )
    restarts = "PERFORM setval(seqrelid, seqstart, false) FROM pg_sequence;"
    async with Database(url) as database, database.engine.begin() as connection:
        await connection.execute(text(f"DO $$BEGIN {deletes} {restarts} END$$"))  # one round trip


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database: a fresh SQLite file, or the session's PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{(tmp_path / 'motcua.sqlite3').as_posix()}"
        _run(migrated(url))
        return url
    request.getfixturevalue("postgres_url")  # skips visibly when PostgreSQL is not configured
    postgres: str = request.getfixturevalue("_postgres_database")
    _run(_empty_tables(postgres))
    return postgres


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """The engine for ``database_url``, disposed after the test."""
    async with Database(database_url) as db:
        yield db


@pytest.fixture
async def redis(redis_url: str, redis_prefix: str) -> AsyncIterator[Redis]:
    """A Redis client; the test's keys (under ``redis_prefix``) are removed afterwards."""
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        async for key in client.scan_iter(match=f"{redis_prefix}*"):
            await client.delete(key)
        await client.aclose()


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test uses."""
    return f"motcua-test:{uuid.uuid4().hex[:12]}:"


@pytest.fixture
def clock() -> ManualClock:
    """A fake clock at 2026-11-24 08:00 UTC."""
    return ManualClock()
