"""Migrations: a fresh database gets the whole schema, and the migrations match the models."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from bot.cli import main
from bot.config import Settings
from bot.server import prepare_apart
from bot.storage.database import Database
from bot.storage.schema import (
    alembic_config,
    current_revision,
    ensure_schema,
    head_revision,
    upgrade,
)
from bot.storage.schema_head import at_head, shipped_head
from bot.storage.tables import Base
from storage.databases import create_database, drop_database


async def test_ensure_schema_creates_a_fresh_sqlite_file_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "var" / "fresh.sqlite3"
    url = f"sqlite+aiosqlite:///{path.as_posix()}"
    await ensure_schema(url)
    assert path.exists()
    assert await current_revision(url) == head_revision()
    await ensure_schema(url)  # already current: nothing to do, no error
    async with Database(url) as database, database.engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    assert set(Base.metadata.tables) <= tables


async def test_migrations_match_the_models(database: Database, database_url: str) -> None:
    assert await current_revision(database_url) == head_revision()
    assert await at_head(database_url)  # a worker starting on it skips the migrations' process
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )
    assert differences == []


def _run(argv: list[str]) -> int:
    """The ``motcua`` command's entry point, as the console script calls it."""
    return main(argv)


def test_db_upgrade_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MOTCUA_DATABASE_URL", raising=False)

    assert _run(["db", "current"]) == 0
    assert "revision none" in capsys.readouterr().out

    assert _run(["db", "upgrade"]) == 0
    assert f"revision {head_revision()}" in capsys.readouterr().out
    assert (tmp_path / "data" / "motcua.sqlite3").exists()

    assert _run(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_db_upgrade_to_an_unknown_revision_fails_clearly_and_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    assert _run(["db", "upgrade", "--revision", "nope"]) == 2
    assert "nope" in capsys.readouterr().err
    assert _run(["db", "current"]) == 0
    assert "revision none" in capsys.readouterr().out


def test_db_command_never_prints_the_database_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Port 9 (discard) refuses connections: the command reports it without the secret.
    monkeypatch.setenv(
        "MOTCUA_DATABASE_URL", "postgresql+asyncpg://motcua:hunter2@127.0.0.1:9/motcua"
    )
    assert _run(["db", "current"]) == 1
    output = capsys.readouterr()
    assert "hunter2" not in output.out + output.err
    assert "cannot use" in output.err


@pytest.mark.slow
async def test_workers_starting_together_migrate_postgres_once(postgres_url: str) -> None:
    name = f"motcua_test_{uuid.uuid4().hex[:12]}"
    await create_database(postgres_url, name)
    url = make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    command = "import sys; from bot.cli import main; sys.exit(main(['db', 'upgrade']))"
    try:
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                command,
                env={**os.environ, "MOTCUA_DATABASE_URL": url},
                stdout=asyncio.subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
        assert [await worker.wait() for worker in workers] == [0, 0]
        assert await current_revision(url) == head_revision()
    finally:
        await drop_database(postgres_url, name)


async def test_migrating_twice_at_once_in_one_process_is_safe(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{(tmp_path / 'twice.sqlite3').as_posix()}"
    await asyncio.gather(ensure_schema(url), ensure_schema(url))
    assert await current_revision(url) == head_revision()


def test_every_revision_is_numbered_as_its_file_and_the_newest_is_alembics_head() -> None:
    """``shipped_head`` reads the files' names; a revision numbered otherwise would make a
    worker skip a migration its database lacks."""
    scripts = ScriptDirectory.from_config(alembic_config())
    for script in scripts.walk_revisions():
        assert Path(script.path).name.startswith(f"{script.revision}_")
    assert shipped_head() == head_revision()


async def test_a_worker_migrates_only_a_database_behind_the_code(tmp_path: Path) -> None:
    path = tmp_path / "behind.sqlite3"
    url = f"sqlite+aiosqlite:///{path.as_posix()}"
    assert not await at_head(url) and not path.exists()  # asking creates no file
    await upgrade(url, "0025")
    assert not await at_head(url)
    await prepare_apart(Settings.from_env({"MOTCUA_DATABASE_URL": url}))
    assert await at_head(url) and await current_revision(url) == head_revision()
    assert not await at_head("postgresql+asyncpg://nobody@127.0.0.1:1/none")
