"""``motcua announce``: a commune announcement from the command line, for scripts and provinces'
own systems.

It goes through the same check as the staff console (``bot.announcements.compose``): bad input
is refused on standard error with exit code 2 and nothing is stored. The running ``motcua
serve`` or ``motcua worker`` sends it; ``--wait`` follows it to the end (a progress bar on a
terminal), ``--json`` prints the delivery report as JSON, ``--dry-run`` counts who would get it
and stores nothing. ``--cancel ID`` and ``--report ID`` act on an earlier one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from bot import i18n, logs
from bot.announcements.compose import Author, Draft, Refused, compose
from bot.announcements.store import (
    Announcement,
    Cancel,
    Delivery,
    Progress,
    SqlAnnouncements,
    State,
)
from bot.config import Settings
from bot.handoffs import VIETNAM
from bot.storage.database import Database
from bot.storage.schema_head import prepare_database

PROG = "motcua announce"

POLL = 0.5
"""Seconds between looks at the progress while waiting."""

CANCELLED = {
    Cancel.CANCELLED: "announcement {id} cancelled: nobody will get it",
    Cancel.NOT_FOUND: "no announcement has the id {id}",
    Cancel.STARTED: "announcement {id} is being sent already and cannot be cancelled",
    Cancel.FINISHED: "announcement {id} was sent already and cannot be cancelled",
    Cancel.ALREADY: "announcement {id} was cancelled before",
}


class BadInput(Exception):
    """What was given cannot be read (a missing file, a malformed time)."""


def register(subparsers: Any) -> None:
    """Add ``announce`` to the ``motcua`` parser."""
    parser = subparsers.add_parser(
        "announce",
        help="send an announcement to the subscribers of communes",
        description="Send (or schedule) an announcement to everyone who chose these communes, "
        "on every chat app; or cancel one, or report on one.",
    )
    parser.add_argument(
        "--commune", nargs="+", default=[], metavar="CODE", help="five-digit commune codes"
    )
    parser.add_argument(
        "--province", nargs="+", default=[], metavar="CODE", help="every commune of a province"
    )
    parser.add_argument("--text-file", type=Path, metavar="F", help="the text in Vietnamese")
    parser.add_argument("--text-en-file", type=Path, metavar="F", help="the text in English")
    parser.add_argument("--image", type=Path, metavar="F", help="a JPEG or PNG picture, ≤ 1 MB")
    parser.add_argument("--link", metavar="URL", help="a web address shown as a button")
    parser.add_argument(
        "--at", metavar="ISO", help="when to send, e.g. 2026-12-07T08:00 (Vietnam time); now"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="count who would get it; send nothing"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--wait",
        action="store_true",
        help="wait until a running motcua serve or worker has sent it to everyone",
    )
    act = parser.add_mutually_exclusive_group()
    act.add_argument("--cancel", type=int, metavar="ID", help="cancel one not yet being sent")
    act.add_argument("--report", type=int, metavar="ID", help="the delivery report of one")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    logs.configure(logging.WARNING)
    settings = Settings.from_env()
    try:
        if args.cancel is not None:
            return asyncio.run(_cancel(settings, args.cancel))
        if args.report is not None:
            return asyncio.run(_report(settings, args.report, args.json, args.wait))
        draft = _draft(args)
        return asyncio.run(_announce(settings, draft, args))
    except BadInput as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except (SQLAlchemyError, OSError) as error:
        print(f"{PROG}: cannot use the database: {type(error).__name__}", file=sys.stderr)
        return 1


def _read(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    try:
        return path.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read the {what} {path}: {error.strerror}") from None


def _text(path: Path | None, what: str) -> str | None:
    data = _read(path, what)
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"the {what} {path} is not UTF-8 text") from None


def _draft(args: argparse.Namespace) -> Draft:
    if args.text_file is None:
        raise BadInput("give the announcement's text with --text-file F")
    send_at = None
    if args.at is not None:
        try:
            send_at = datetime.fromisoformat(args.at)
        except ValueError:
            raise BadInput(f"--at {args.at!r} is no time such as 2026-12-07T08:00") from None
        if send_at.tzinfo is None:
            send_at = send_at.replace(tzinfo=VIETNAM)
    return Draft(
        text_vi=_text(args.text_file, "text file") or "",
        text_en=_text(args.text_en_file, "English text file"),
        image=_read(args.image, "picture"),
        link=args.link,
        communes=args.commune,
        provinces=args.province,
        send_at=send_at,
    )


async def _announce(settings: Settings, draft: Draft, args: argparse.Namespace) -> int:
    author = Author.command_line()
    now = datetime.now(UTC)
    try:
        composed = compose(draft, author, now, i18n.translator(settings.default_locale).gettext)
    except Refused as refused:
        for reason in refused.reasons.values():
            print(f"{PROG}: {reason}", file=sys.stderr)
        print(f"{PROG}: nothing was stored or sent", file=sys.stderr)
        return 2
    await prepare_database(settings.database_url)
    async with Database(settings.database_url) as database:
        if args.dry_run:
            async with database.transaction() as session:
                audience = await SqlAnnouncements(session).audience(composed.communes)
            _print_audience(audience, len(composed.communes), args.json)
            return 0
        async with database.transaction() as session:
            created = await SqlAnnouncements(session).create(composed, author, now)
        if not args.json:
            print(
                f"announcement {created.id} to {len(created.communes)} commune(s), "
                f"sending at {created.send_at.astimezone(VIETNAM):%Y-%m-%d %H:%M} (Vietnam time) "
                "by the running motcua serve or motcua worker"
            )
        if not (args.json or args.wait):
            return 0
        return await _follow(database, created.id, args.json, args.wait)


async def _report(settings: Settings, announcement_id: int, as_json: bool, wait: bool) -> int:
    await prepare_database(settings.database_url)
    async with Database(settings.database_url) as database:
        return await _follow(database, announcement_id, as_json, wait)


async def _cancel(settings: Settings, announcement_id: int) -> int:
    await prepare_database(settings.database_url)
    async with Database(settings.database_url) as database, database.transaction() as session:
        outcome = await SqlAnnouncements(session).cancel(announcement_id, datetime.now(UTC))
    message = CANCELLED[outcome].format(id=announcement_id)
    if outcome is Cancel.CANCELLED:
        print(message)
        return 0
    print(f"{PROG}: {message}", file=sys.stderr)
    return 1


async def _follow(database: Database, announcement_id: int, as_json: bool, wait: bool) -> int:
    """Print the report; with ``wait``, once every delivery has an outcome (a bar meanwhile)."""
    found, progress = await _state(database, announcement_id)
    if found is None:
        print(f"{PROG}: no announcement has the id {announcement_id}", file=sys.stderr)
        return 1
    if wait:
        bar = tqdm(
            total=progress.total() or None,
            unit="msg",
            desc=f"announcement {announcement_id}",
            file=sys.stderr,
            disable=not sys.stderr.isatty(),
        )
        with bar:
            while found.state in (State.SCHEDULED, State.SENDING):
                await asyncio.sleep(POLL)
                found, progress = await _state(database, announcement_id)
                assert found is not None
                bar.total = progress.total()
                bar.n = progress.total() - progress.total(Delivery.QUEUED)
                bar.refresh()
    _print_report(found, progress, as_json)
    return 0


async def _state(database: Database, announcement_id: int) -> tuple[Announcement | None, Progress]:
    async with database.transaction() as session:
        store = SqlAnnouncements(session)
        return await store.get(announcement_id), await store.progress(announcement_id)


def report(announcement: Announcement, progress: Progress) -> dict[str, Any]:
    """The delivery report as JSON-ready data: counts per channel and state, and totals."""
    return {
        "id": announcement.id,
        "state": announcement.state.value,
        "send_at": announcement.send_at.isoformat(),
        "communes": [f"{code:05d}" for code in announcement.communes],
        "provinces": [f"{code:02d}" for code in announcement.provinces],
        "channels": {
            channel: {state.value: count for state, count in counts.items()}
            for channel, counts in sorted(progress.by_channel.items())
        },
        "total": {state.value: progress.total(state) for state in Delivery},
    }


def _print_report(announcement: Announcement, progress: Progress, as_json: bool) -> None:
    data = report(announcement, progress)
    if as_json:
        json.dump(data, sys.stdout, indent=2)
        print()
        return
    print(f"announcement {announcement.id}: {announcement.state.value}")
    _table({**data["channels"], "total": data["total"]}, [state.value for state in Delivery])


def _print_audience(audience: dict[str, int], communes: int, as_json: bool) -> None:
    if as_json:
        json.dump({"communes": communes, "would_send": audience}, sys.stdout, indent=2)
        print()
        return
    print(f"dry run: {communes} commune(s); nothing stored, nothing sent")
    _table({c: {"would get it": n} for c, n in sorted(audience.items())}, ["would get it"])
    print(f"{'total':10} {sum(audience.values()):>12}")


def _table(rows: dict[str, dict[str, int]], columns: Sequence[str]) -> None:
    print(f"{'channel':10}" + "".join(f" {c:>12}" for c in columns))
    for name, counts in rows.items():
        print(f"{name:10}" + "".join(f" {counts.get(c, 0):>12}" for c in columns))
