"""``motcua serve``: the web chat, every webhook and the health check on one port."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from dataclasses import replace
from typing import Any

from bot import logs
from bot.config import Settings
from bot.server import STARTUP_ERRORS, serve


def register(subparsers: Any) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser(
        "serve",
        help="run the web chat, webhooks and /healthz (default http://127.0.0.1:8080)",
        description="Serve the web chat, every configured channel's webhook and /healthz. "
        "A fresh SQLite database is migrated on start.",
    )
    parser.add_argument("--host", help="address to listen on (default: MOTCUA_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: MOTCUA_PORT or 8080)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted (Ctrl+C or SIGTERM)."""
    settings = Settings.from_env()
    settings = replace(
        settings,
        host=args.host or settings.host,
        port=settings.port if args.port is None else args.port,
    )
    logs.configure(logging.INFO)
    try:
        asyncio.run(_serve(settings))
    except STARTUP_ERRORS as exc:
        print(f"motcua serve: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await serve(settings, stop)
