"""``motcua serve`` and ``motcua worker``: the long-running processes of a deployment.

``serve`` hosts the web chat, every webhook, the health check and the metrics on one port, and
works through the inbox and outbox too; ``worker`` only works through them (more hands for the
same queues, or a sender apart from the web workers) and serves ``/healthz`` and ``/metrics``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import Any

import uvloop

from bot import logs
from bot.config import Settings
from bot.server import STARTUP_ERRORS, serve, work

Process = Callable[[Settings, asyncio.Event], Awaitable[None]]


def register(subparsers: Any) -> None:
    """Add the ``serve`` and ``worker`` sub-commands."""
    server = subparsers.add_parser(
        "serve",
        help="run the web chat, webhooks, /healthz and /metrics (default http://127.0.0.1:8080)",
        description="Serve the web chat, every configured channel's webhook, /healthz and "
        "/metrics. "
        "A fresh SQLite database is migrated on start.",
    )
    _listen_arguments(server, "address to listen on")
    server.set_defaults(func=partial(run, "serve", serve))
    worker = subparsers.add_parser(
        "worker",
        help="answer kept messages and send reminders and notices, without the web chat",
        description="Work through the durable inbox (messages the web workers kept) and the "
        "outbox (reminders, dossier filings and notices, status changes) with the same "
        "settings as `motcua serve`, without taking webhooks or polling Telegram. Its port "
        "serves /healthz and /metrics only.",
    )
    _listen_arguments(worker, "address of /healthz and /metrics")
    worker.set_defaults(func=partial(run, "worker", work))


def _listen_arguments(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--host", help=f"{what} (default: MOTCUA_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="its port (default: MOTCUA_PORT or 8080)")


def run(command: str, process: Process, args: argparse.Namespace) -> int:
    """Run ``process`` until interrupted (Ctrl+C or SIGTERM)."""
    settings = Settings.from_env()
    settings = replace(
        settings,
        host=args.host or settings.host,
        port=settings.port if args.port is None else args.port,
    )
    logs.configure(logging.INFO, json_lines=settings.log_format == "json")
    try:
        # libuv's loop: its transports and scheduling cost a busy worker less CPU per message
        # than asyncio's own (``python -m bench.throughput``).
        uvloop.run(_until_signalled(process, settings))
    except STARTUP_ERRORS as exc:
        print(f"motcua {command}: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


async def _until_signalled(process: Process, settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await process(settings, stop)
