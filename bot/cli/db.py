"""``motcua db``: apply and inspect database migrations, and purge expired personal data."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from typing import Any

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.app import SystemClock
from bot.config import Settings
from bot.storage.database import Database
from bot.storage.message_log import purge_message_log
from bot.storage.schema import current_revision, head_revision, upgrade


def register(subparsers: Any) -> None:
    """Add ``db upgrade``, ``db current`` and ``db purge`` to the ``motcua`` parser."""
    parser = subparsers.add_parser(
        "db",
        help="database migrations",
        description="Database migrations (MOTCUA_DATABASE_URL, or a SQLite file under var/).",
    )
    actions = parser.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = actions.add_parser("upgrade", help="apply migrations (to the newest by default)")
    up.add_argument("--revision", default="head", help="target revision (default: head)")
    up.set_defaults(func=_upgrade)
    current = actions.add_parser("current", help="show the database's schema revision")
    current.set_defaults(func=_current)
    purge = actions.add_parser(
        "purge",
        help="delete logged messages older than MOTCUA_MESSAGE_LOG_DAYS",
        description="Delete logged messages older than MOTCUA_MESSAGE_LOG_DAYS (default 90), "
        "as the running server does every hour.",
    )
    purge.set_defaults(func=_purge)


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _upgrade(args: argparse.Namespace) -> int:
    url = Settings.from_env().database_url
    try:
        asyncio.run(upgrade(url, args.revision))
        revision = asyncio.run(current_revision(url))
    except CommandError as error:
        print(f"motcua db: {error}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua db: cannot use {_safe_url(url)}: {type(error).__name__}", file=sys.stderr)
        return 1
    print(f"{_safe_url(url)}: schema at revision {revision}")
    return 0


def _current(args: argparse.Namespace) -> int:
    url = Settings.from_env().database_url
    try:
        revision = asyncio.run(current_revision(url))
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua db: cannot use {_safe_url(url)}: {type(error).__name__}", file=sys.stderr)
        return 1
    head = head_revision()
    status = "up to date" if revision == head else f"newest is {head}: run `motcua db upgrade`"
    print(f"{_safe_url(url)}: schema at revision {revision or 'none'} ({status})")
    return 0


def _purge(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
    except ValueError as error:
        print(f"motcua db: {error}", file=sys.stderr)
        return 2
    url, days = settings.database_url, settings.message_log_days
    try:
        removed = asyncio.run(_purge_older_than(url, timedelta(days=days)))
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua db: cannot use {_safe_url(url)}: {type(error).__name__}", file=sys.stderr)
        return 1
    print(f"{_safe_url(url)}: deleted {removed} logged messages older than {days} days")
    return 0


async def _purge_older_than(url: str, age: timedelta) -> int:
    async with Database(url) as database:
        return await purge_message_log(database, SystemClock().now() - age)
