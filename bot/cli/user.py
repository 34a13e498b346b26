"""``motcua user``: a citizen's right to their data (Decree 13/2023, Law 91/2025) at a console.

``export`` writes everything kept about one citizen as JSON, their linked apps included;
``delete`` erases it all after a confirmation. Both go through ``bot.personal_data``, as the
chat's own "delete my data" does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import logs, personal_data
from bot.config import Settings
from bot.storage.database import Database
from dialogs.messages import ConversationRef


def register(subparsers: Any) -> None:
    """Add ``user export`` and ``user delete`` to the ``motcua`` parser."""
    parser = subparsers.add_parser(
        "user",
        help="export or delete everything kept about one citizen",
        description="A citizen's personal data, found by one app's user id; every app linked "
        "to the same citizen is included.",
    )
    actions = parser.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="print everything kept about the citizen as JSON")
    delete = actions.add_parser("delete", help="delete everything kept about the citizen")
    for action in (export, delete):
        action.add_argument(
            "--channel", required=True, help="web, telegram, messenger, zalo or terminal"
        )
        action.add_argument("--user", required=True, help="the user id on that channel")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    export.set_defaults(func=_export)
    delete.set_defaults(func=_delete)


def _export(args: argparse.Namespace) -> int:
    logs.configure(logging.WARNING)
    ref = ConversationRef(args.channel, args.user)
    try:
        data = asyncio.run(_exported(Settings.from_env().database_url, ref))
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua user: cannot read the database: {type(error).__name__}", file=sys.stderr)
        return 1
    if not any(data["tables"].values()):
        print(
            f"motcua user: nothing is kept about {ref.channel} user {ref.user_id}", file=sys.stderr
        )
        return 1
    json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
    print()
    return 0


def _delete(args: argparse.Namespace) -> int:
    logs.configure(logging.WARNING)
    ref = ConversationRef(args.channel, args.user)
    url = Settings.from_env().database_url
    try:
        data = asyncio.run(_exported(url, ref))
        rows = sum(len(found) for found in data["tables"].values())
        if rows == 0:
            print(f"nothing is kept about {ref.channel} user {ref.user_id}")
            return 0
        apps = ", ".join(f"{i['channel']} {i['user_id']}" for i in data["identities"])
        print(f"{rows} rows about the citizen on {apps} will be deleted for good.")
        if not args.yes and input("Type 'yes' to delete: ").strip().lower() != "yes":
            print("nothing deleted")
            return 1
        removed = asyncio.run(_erased(url, ref))
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua user: cannot use the database: {type(error).__name__}", file=sys.stderr)
        return 1
    except EOFError:
        print("\nnothing deleted")
        return 1
    details = ", ".join(f"{table} {count}" for table, count in removed.items() if count)
    print(f"deleted {sum(removed.values())} rows ({details})")
    return 0


async def _exported(url: str, ref: ConversationRef) -> dict[str, Any]:
    async with Database(url) as database, database.transaction() as session:
        return await personal_data.export(session, ref)


async def _erased(url: str, ref: ConversationRef) -> dict[str, int]:
    async with Database(url) as database, database.transaction() as session:
        return await personal_data.erase(session, ref)
