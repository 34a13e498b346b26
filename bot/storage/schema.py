"""Alembic migrations run from code, so they work from an installed package without alembic.ini.

A new revision goes in ``bot/storage/migrations/versions/`` (numbered after the last one); to
draft it from the models, run ``alembic.command.revision(alembic_config(connection),
message=..., autogenerate=True, rev_id="0002")`` on a connection to an up-to-date database
(``connection.run_sync``), then review it by hand, keeping it working on SQLite and PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import threading

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot import logs
from bot.storage.database import Database
from bot.storage.schema_head import prepare_database

SCRIPT_LOCATION = "bot.storage:migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations; env.py uses ``connection``."""
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    """The newest migration shipped with this code."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


# Alembic keeps its migration context in module globals: one migration per process at a time.
# Across processes, env.py takes a PostgreSQL advisory lock (SQLite has one writer anyway).
_MIGRATING = threading.Lock()


async def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision`` in one transaction (in a thread of its own)."""
    await asyncio.to_thread(_migrate_in_thread, url, revision, only_if_behind=False)


def _migrate_in_thread(url: str, revision: str, *, only_if_behind: bool) -> None:
    # The check and the upgrade share the lock: two fresh-file connections switching SQLite to
    # WAL at the same moment fail at once with "database is locked" instead of waiting.
    with _MIGRATING:
        asyncio.run(_migrate(url, revision, only_if_behind=only_if_behind))


async def _migrate(url: str, revision: str, *, only_if_behind: bool) -> None:
    if only_if_behind and await current_revision(url) == head_revision():
        return
    async with Database(url) as database, database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))


async def current_revision(url: str) -> str | None:
    """The revision the database is at (None when it was never migrated)."""
    async with Database(url) as database, database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


async def ensure_schema(url: str) -> None:
    """Bring the database to the newest schema (creates a fresh SQLite file's tables).

    Cheap when already up to date, so ``motcua serve`` calls it on every start.
    """
    await asyncio.to_thread(_migrate_in_thread, url, "head", only_if_behind=True)


def main() -> None:
    """``python -m bot.storage.schema``: ``prepare_database`` on ``MOTCUA_DATABASE_URL``, as a
    process of its own.

    A serving worker runs it so (``bot.server.prepare_apart``): Alembic and the migration
    scripts are loaded by this short-lived process, never by the worker. The URL comes through
    the environment, as a password in it must not show in the process list.
    """
    parser = argparse.ArgumentParser(prog="python -m bot.storage.schema")
    parser.add_argument("--json-logs", action="store_true", help="log JSON lines")
    args = parser.parse_args()
    logs.configure(logging.INFO, json_lines=args.json_logs)
    try:
        asyncio.run(prepare_database(os.environ["MOTCUA_DATABASE_URL"]))
    except (OSError, SQLAlchemyError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        raise SystemExit(1) from exc


if __name__ == "__main__":
    main()
