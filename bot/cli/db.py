"""``motcua db``: apply and inspect database migrations."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from alembic.util import CommandError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings
from bot.storage.schema import current_revision, head_revision, upgrade


def register(subparsers: Any) -> None:
    """Add ``db upgrade`` and ``db current`` to the ``motcua`` parser."""
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
