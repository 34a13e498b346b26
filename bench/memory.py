"""Where a worker's idle memory goes, step by step, as ``motcua serve`` starts.

``python -m bench.memory`` runs the start-up of ``motcua serve`` with nothing configured (SQLite
in a temporary directory, web chat, the sandbox portal) in this very process and prints the
resident memory (anonymous: this process's own; file: shared library pages other workers
share) and the modules loaded after each step: the imports, the database's schema (migrated by
a process of its own, as ``motcua serve`` does), reading the
knowledge base, building its search index, assembling the app and its web application, then
the first use of each library a worker loads only when a citizen needs it (with the same call
again, for its cost without the import), then the libraries a worker configured with Redis and
Telegram (webhook), as a scaled deployment runs it, imports at start on top of these (each row
with what it brings along that is not loaded yet), and what long polling would add. With
``--trace`` it also prints what Python allocated and still holds, by file and by line
(``tracemalloc``; tracing costs memory and time itself, so its run's RSS is not the figure).

Only the standard library is imported before the first step, so the first row is the bare
interpreter.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

TOP = 15
"""Rows of each ``--trace`` table."""


def resident() -> tuple[float, float]:
    """This process's resident (anonymous, file-backed) MB, from ``/proc/self/status``."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            found[key] = int(value.split()[0]) / 1024
    return found["RssAnon"], found["RssFile"]


class Steps:
    """Prints one row per step: its time, the memory after it and what it added."""

    def __init__(self) -> None:
        self._last = sum(resident())
        print(f"{'step':<34} {'s':>6} {'anon MB':>8} {'file MB':>8} {'+MB':>6} {'modules':>8}")
        self.row("interpreter", 0.0)

    def row(self, name: str, seconds: float) -> None:
        """The row for a step that just ended (a full collection first: no garbage counted)."""
        gc.collect()
        anon, file = resident()
        added, self._last = anon + file - self._last, anon + file
        print(
            f"{name:<34} {seconds:>6.3f} {anon:>8.1f} {file:>8.1f} {added:>+6.1f}"
            f" {len(sys.modules):>8}"
        )


def print_top(snapshot: tracemalloc.Snapshot, key: str) -> None:
    """The ``TOP`` largest holders of Python memory, grouped by ``key`` (filename or lineno)."""
    stats = snapshot.filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
    print(f"\nheld by Python, by {key} (MB, blocks):")
    for stat in stats.statistics(key)[:TOP]:
        frame = stat.traceback[0]
        where = frame.filename.removeprefix(os.getcwd() + "/")
        place = where if key == "filename" else f"{where}:{frame.lineno}"
        print(f"{stat.size / 2**20:>7.2f} {stat.count:>8}  {place}")


async def start_up(steps: Steps, data: str, trace: bool) -> None:
    """The steps of ``motcua serve`` up to listening, each timed and measured."""
    began = time.perf_counter()
    import bot.server as server  # the first step measured
    from bot.app import build_app
    from bot.config import Settings
    from knowledge.base import LocalKnowledgeBase
    from knowledge.store import load_knowledge_base

    steps.row("import bot.server", time.perf_counter() - began)
    os.environ.update({"MOTCUA_DATA_DIR": data, "MOTCUA_PORTAL_SANDBOX_PORT": "0"})
    settings = Settings.from_env()
    began = time.perf_counter()
    await server.prepare_apart(settings)
    steps.row("database schema (own process)", time.perf_counter() - began)
    began = time.perf_counter()
    procedures = load_knowledge_base(settings.knowledge_path)
    steps.row(f"knowledge base: {len(procedures)} procedures", time.perf_counter() - began)
    began = time.perf_counter()
    knowledge = LocalKnowledgeBase(procedures)
    del procedures
    steps.row("knowledge base: search index", time.perf_counter() - began)
    began = time.perf_counter()
    async with build_app(settings, knowledge=knowledge) as app:
        steps.row("build_app", time.perf_counter() - began)
        began = time.perf_counter()
        server.web_application(app)
        steps.row("web application", time.perf_counter() - began)
        if trace:
            snapshot = tracemalloc.take_snapshot()
            print_top(snapshot, "filename")
            print_top(snapshot, "lineno")
    first_uses(steps)
    configured(steps)


def first_uses(steps: Steps) -> None:
    """What the first use of each library left for later costs: its row, then the same call
    again (the difference is the import a citizen's first such message waits for)."""
    from dialogs.dates import parse_moment
    from dialogs.filing.forms import Field
    from dialogs.filing.validate import check
    from integrations.portal.sandbox.calendar import WorkingCalendar
    from knowledge.communes import units

    now = datetime.now(UTC)
    phone = Field("phone", "phone", "", "")
    calendar = WorkingCalendar()
    uses: list[tuple[str, Callable[[], object]]] = [
        ("reminder date read", lambda: parse_moment("7 gio toi mai", now)),
        ("phone number checked", lambda: check(phone, "0912 345 678", now.date())),
        ("commune looked up", lambda: units.search("phuong ba dinh")),
        ("working days counted", lambda: calendar.add(now.date(), 10)),
    ]
    for name, use in uses:
        for when in ("first", "next"):
            began = time.perf_counter()
            use()
            steps.row(f"{when} {name}", time.perf_counter() - began)


CONFIGURED = (
    ("Redis: redis-py", ("bot.backends", "bot.redis_limits", "bot.redis_locks", "bot.redis_pool")),
    ("Telegram: the adapter", ("integrations.telegram",)),
    ("Telegram, polling: PTB and httpx", ("integrations.telegram.polling",)),
)
"""The modules ``build_app`` imports when ``MOTCUA_REDIS_URL`` and ``MOTCUA_TELEGRAM_TOKEN``
are set, in the order they are loaded, grouped by what loads them: a webhook worker stops after
the adapter, one that long-polls also loads python-telegram-bot (and httpx, which it imports)."""


def configured(steps: Steps) -> None:
    """What Redis and Telegram add to a worker's start, library by library."""
    for name, modules in CONFIGURED:
        began = time.perf_counter()
        for module in modules:
            importlib.import_module(module)
        steps.row(name, time.perf_counter() - began)


def main(argv: Sequence[str] | None = None) -> None:
    """Run the steps and print the table (and the ``--trace`` tables)."""
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--trace", action="store_true", help="also trace Python allocations")
    args = parser.parse_args(argv)
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        del os.environ[name]  # nothing configured, whatever the shell exports
    if args.trace:
        tracemalloc.start()
    steps = Steps()
    with tempfile.TemporaryDirectory(prefix="motcua-memory-") as data:
        asyncio.run(start_up(steps, data, args.trace))


if __name__ == "__main__":
    main()
