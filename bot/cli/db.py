"""``motcua db``: apply and inspect database migrations, and purge expired personal data."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.app import SystemClock
from bot.config import Settings
from bot.personal_data import Retention, purge
from bot.storage.database import Database
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
    expire = actions.add_parser(
        "purge",
        help="delete personal data past its retention period",
        description="Delete logged messages older than MOTCUA_MESSAGE_LOG_DAYS (default 90) "
        "and other personal data unused for MOTCUA_RETENTION_DAYS (default 365), as the "
        "running server does every hour.",
    )
    expire.set_defaults(func=_purge)


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
    url = settings.database_url
    try:
        removed = asyncio.run(_purge_expired(url, Retention.of(settings)))
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua db: cannot use {_safe_url(url)}: {type(error).__name__}", file=sys.stderr)
        return 1
    details = ", ".join(f"{table} {count}" for table, count in removed.items())
    print(
        f"{_safe_url(url)}: deleted {removed['message_log']} logged messages older than "
        f"{settings.message_log_days} days and {sum(removed.values()) - removed['message_log']} "
        f"other rows unused for {settings.retention_days} days ({details})"
    )
    return 0


async def _purge_expired(url: str, retention: Retention) -> dict[str, int]:
    async with Database(url) as database:
        return await purge(database, SystemClock().now(), retention)
