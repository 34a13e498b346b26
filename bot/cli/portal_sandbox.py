"""``motcua portal-sandbox``: run the sandbox portal alone, or play its officer.

``motcua portal-sandbox [--port 8090]`` serves it with its own SQLite file under the data
directory; ``motcua portal-sandbox move CODE STATUS [--note TEXT]`` moves a dossier along the
status machine (as a one-stop officer would) on the running sandbox, which then tells motcua by
webhook; ``motcua portal-sandbox reschedule CODE DATE [--reason TEXT]`` gives a late dossier a
new date for its result (the desk's apology slip). The officer's commands reach
``MOTCUA_PORTAL_URL`` when set, else the sandbox running from the data directory (alone or inside
``motcua serve``, whatever port it got); they use ``MOTCUA_PORTAL_API_KEY`` when set, else the
key the sandbox keeps in its file.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.portal import SANDBOX_FILE, procedure_terms, running_sandbox_url, serving_sandbox
from dialogs.errors import PortalError, PortalUnavailable
from dialogs.ports import PortalDossier
from integrations.portal import HttpPortalClient
from integrations.portal.contract import LABELS
from integrations.portal.sandbox import SandboxPortal
from knowledge.base import LocalKnowledgeBase
from knowledge.store import KnowledgeBaseFormatError


def register(subparsers: Any) -> None:
    """Add ``portal-sandbox`` (serve) and ``portal-sandbox move`` to the ``motcua`` parser."""
    parser = subparsers.add_parser(
        "portal-sandbox",
        help="run the sandbox portal alone, or move a dossier as its officer",
        description="Serve the sandbox portal (default http://127.0.0.1:8090), or move a dossier "
        "with `motcua portal-sandbox move CODE STATUS`.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, help="port (default: MOTCUA_PORTAL_SANDBOX_PORT, 8090)")
    parser.set_defaults(func=_serve)
    actions = parser.add_subparsers(dest="sandbox_command", metavar="ACTION")
    move = actions.add_parser(
        "move",
        help="move a dossier to another status (the officer's desk)",
        description="Statuses: " + ", ".join(LABELS),
    )
    move.add_argument("code", help="the dossier code, e.g. 000.00.20.H39-261124-0007")
    move.add_argument("status", choices=list(LABELS), metavar="STATUS", help="the new status")
    move.add_argument("--note", default="", help="the officer's note the citizen reads")
    move.set_defaults(func=_move)
    reschedule = actions.add_parser(
        "reschedule",
        help="give a late dossier a new date for its result (the apology slip, Form 04)",
        description="The legal due date stays; the new date is shown beside it and told to "
        "the citizen once the dossier is late.",
    )
    reschedule.add_argument("code", help="the dossier code")
    reschedule.add_argument("date", type=date.fromisoformat, help="the new date, YYYY-MM-DD")
    reschedule.add_argument("--reason", default="", help="why it is late, as the citizen reads it")
    reschedule.set_defaults(func=_reschedule)


def _serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    port = settings.portal_sandbox_port if args.port is None else args.port
    try:
        knowledge = LocalKnowledgeBase.load(settings.knowledge_path, settings.cache_dir)
        asyncio.run(_run(settings, knowledge, args.host, port))
    except (OSError, KnowledgeBaseFormatError) as error:
        print(
            f"motcua portal-sandbox: cannot start: {type(error).__name__}: {error}", file=sys.stderr
        )
        return 1
    return 0


async def _run(settings: Settings, knowledge: LocalKnowledgeBase, host: str, port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    sandbox = SandboxPortal(
        settings.data_dir / SANDBOX_FILE,
        procedure_terms(knowledge),
        public_url=f"http://{host}:{port}",
        api_key=settings.portal_api_key,
        webhook_secret=settings.portal_webhook_secret,
    )
    serving = serving_sandbox(sandbox, host, port, fallback=False, data_dir=settings.data_dir)
    async with sandbox, serving as url:
        print(f"sandbox portal listening on {url}", flush=True)
        await stop.wait()


def _move(args: argparse.Namespace) -> int:
    async def act(client: HttpPortalClient) -> PortalDossier:
        return await client.transition(args.code, args.status, args.note)

    return _officer("move", act)


def _reschedule(args: argparse.Namespace) -> int:
    async def act(client: HttpPortalClient) -> PortalDossier:
        return await client.reschedule(args.code, args.date, args.reason)

    return _officer("reschedule", act)


def _officer(command: str, act: Callable[[HttpPortalClient], Awaitable[PortalDossier]]) -> int:
    """Do one officer's action on the running sandbox; print the outcome in one line."""
    settings = Settings.from_env()
    # The outcome is printed below in one line; the client's own warnings would repeat it.
    logging.getLogger("integrations.portal").setLevel(logging.ERROR)
    url = (
        settings.portal_url
        or running_sandbox_url(settings.data_dir)
        or f"http://127.0.0.1:{settings.portal_sandbox_port}"
    )
    key = settings.portal_api_key or _kept_key(settings.data_dir / SANDBOX_FILE)
    if key is None:
        print(
            f"motcua portal-sandbox {command}: no API key: set MOTCUA_PORTAL_API_KEY or run the "
            "sandbox once from this data directory",
            file=sys.stderr,
        )
        return 2

    async def call() -> PortalDossier:
        async with HttpPortalClient(url, key, attempts=1) as client:
            return await act(client)

    try:
        done = asyncio.run(call())
    except PortalUnavailable as error:
        print(
            f"motcua portal-sandbox {command}: the sandbox at {url} did not answer ({error})",
            file=sys.stderr,
        )
        return 1
    except PortalError as error:
        print(f"motcua portal-sandbox {command}: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    extended = f", new date {done.extended_due_date}" if done.extended_due_date else ""
    print(f"{done.code}: {done.status} ({done.label}){extended}")
    return 0


def _kept_key(path: Path) -> str | None:
    """The API key a sandbox generated and kept in its file, if it ran here before."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            row = connection.execute("SELECT value FROM meta WHERE key = 'api_key'").fetchone()
    except sqlite3.Error:
        return None
    return str(row[0]) if row else None
