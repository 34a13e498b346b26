"""``motcua staff``: console accounts from the command line, the first admin above all.

``staff add --admin EMAIL`` creates an admin, ``staff add --commune CODE EMAIL`` a commune's
staff member, ``staff add --coordinator EMAIL`` a volunteer coordinator; the password is asked
twice at a terminal, or read as the first line of standard input
(``echo "$PASSWORD" | motcua staff add --admin a@b.vn``). ``staff list`` shows them all.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from bot import logs
from bot.config import Settings
from bot.console import passwords
from bot.console.accounts import account_errors, parse_communes
from bot.storage.database import Database
from bot.storage.schema_head import prepare_database
from bot.storage.staff import Role, SqlStaff, Staff


def register(subparsers: Any) -> None:
    """Add ``staff add`` and ``staff list`` to the ``motcua`` parser."""
    parser = subparsers.add_parser(
        "staff",
        help="add or list staff console accounts",
        description="Accounts of the staff console at /console.",
    )
    actions = parser.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="add an account (password asked, or read from standard input)",
        description="Add an admin (--admin EMAIL), a commune's staff member "
        "(--commune CODES EMAIL) or a volunteer coordinator (--coordinator EMAIL).",
    )
    who = add.add_mutually_exclusive_group(required=True)
    who.add_argument("--admin", metavar="EMAIL", help="add an admin with this e-mail")
    who.add_argument(
        "--coordinator",
        metavar="EMAIL",
        help="add a volunteer coordinator, who approves digital-technology group members",
    )
    who.add_argument(
        "--commune",
        metavar="CODES",
        help="add staff of these communes (five-digit codes, comma-separated)",
    )
    add.add_argument("email", nargs="?", help="the staff member's e-mail (with --commune)")
    add.add_argument("--name", help="the name shown in the console (default: the e-mail)")
    add.set_defaults(func=_add)
    listing = actions.add_parser("list", help="list every account")
    listing.set_defaults(func=_list)


def _password() -> str | None:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password (at least 10 characters): ")
    if getpass.getpass("Password again: ") != first:
        print("motcua staff: the passwords differ; nothing added", file=sys.stderr)
        return None
    return first


def _add(args: argparse.Namespace) -> int:
    logs.configure(logging.WARNING)
    alone = args.admin if args.admin is not None else args.coordinator
    if alone is not None:
        if args.email is not None:
            print("motcua staff: give the e-mail once, after the role", file=sys.stderr)
            return 2
        email, communes = alone, []
        role = Role.ADMIN if args.admin is not None else Role.COORDINATOR
    else:
        if args.email is None:
            print("motcua staff: --commune needs the staff member's e-mail", file=sys.stderr)
            return 2
        email, role, communes = args.email, Role.STAFF, parse_communes(args.commune)
    email = email.strip().lower()
    name = (args.name or email).strip()
    try:
        password = _password()
    except (EOFError, KeyboardInterrupt):
        print("\nnothing added")
        return 1
    if password is None:
        return 1
    errors = account_errors(email, name, password, role.value, communes)
    if errors:
        for message in errors.values():
            print(f"motcua staff: {message}", file=sys.stderr)
        return 2
    try:
        created = asyncio.run(
            _created(Settings.from_env().database_url, email, name, password, role, communes)
        )
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua staff: cannot use the database: {type(error).__name__}", file=sys.stderr)
        return 1
    if created is None:
        print(f"motcua staff: {email} already has an account", file=sys.stderr)
        return 1
    print(f"added {created.role.value} {created.email}" + _communes(created))
    return 0


async def _created(
    url: str, email: str, name: str, password: str, role: Role, communes: list[str]
) -> Staff | None:
    await prepare_database(url)
    async with Database(url) as database, database.transaction() as session:
        accounts = SqlStaff(session)
        now = datetime.now(UTC)
        created = await accounts.add(
            email, name, passwords.hash_password(password), role, communes, now
        )
        if created is not None:
            await accounts.audit(
                None, "account_add", now, target=f"staff:{created.id}", email="motcua staff add"
            )
        return created


def _list(_args: argparse.Namespace) -> int:
    logs.configure(logging.WARNING)
    try:
        found = asyncio.run(_all(Settings.from_env().database_url))
    except (SQLAlchemyError, OSError) as error:
        print(f"motcua staff: cannot read the database: {type(error).__name__}", file=sys.stderr)
        return 1
    if not found:
        print("no accounts yet: motcua staff add --admin EMAIL")
    for staff in found:
        print(f"{staff.role.value:11} {staff.email}  {staff.name}" + _communes(staff))
    return 0


def _communes(staff: Staff) -> str:
    return f"  communes {', '.join(staff.communes)}" if staff.communes else ""


async def _all(url: str) -> list[Staff]:
    await prepare_database(url)
    async with Database(url) as database, database.transaction() as session:
        return await SqlStaff(session).all()
