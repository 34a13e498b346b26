"""What a worker costs before its first message: import time, modules, idle memory, first reply.

``python -m bench.startup`` prints the modules ``import bot.app`` loads and its import time
(``python -X importtime``, the median of ``--runs`` fresh interpreters), then the resident
memory of ``motcua serve`` once healthy (the whole knowledge base loaded, read from its
``/metrics``) with nothing configured (SQLite, web chat, the sandbox portal: the embedded
default), with ``--users`` citizens already stored in its SQLite database (each with a
conversation and two logged messages: a worker must not load them at start), and with Telegram
and Redis. Channels and features that are not configured are not imported, so the first row is
what a worker pays for nothing. For the first set-up it also times the web chat's first reply
(``POST /api/chat``, which loads what was left for first use) against the median of the next
``--runs`` ones. ``python -m bench.memory`` breaks the memory down step by step.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from sqlalchemy import create_engine, insert

from bench.throughput import motcua_env, process_figures
from bench.web_roundtrip import citizen
from bench.workers import workers
from bot.storage.tables import ConversationRow, MessageLogRow, UserRow
from dialogs.state import fresh
from tests.fakes.telegram import FakeTelegram

QUESTION = "dang ky khai sinh"
"""The first message: a procedure question, which searches the knowledge base and answers."""

COUNT_MODULES = "import sys, bot.app; print(len(sys.modules))"


async def import_cost(env: Mapping[str, str], runs: int) -> tuple[int, float]:
    """Modules loaded by ``import bot.app`` and the median import time in milliseconds."""
    times = []
    for _ in range(runs):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "import bot.app",
            env={**os.environ, **env},
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        last = [line for line in err.decode().splitlines() if line.endswith("| bot.app")][-1]
        times.append(int(last.split("|")[1]) / 1000)
    counter = await asyncio.create_subprocess_exec(
        sys.executable, "-c", COUNT_MODULES, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await counter.communicate()
    return int(out), statistics.median(times)


async def idle_rss(
    env: Mapping[str, str], redis_url: str | None, database_url: str | None = None
) -> float:
    """Resident MB of one healthy ``motcua serve``."""
    async with workers(1, env=env, redis_url=redis_url, database_url=database_url) as urls:
        _, rss = await process_figures(urls)
    return rss / 2**20


async def replies(runs: int) -> tuple[float, float]:
    """Milliseconds of a fresh worker's first web chat reply, and the median of the next."""
    async with workers(1) as (url,), citizen() as session:
        times = []
        for _ in range(runs + 1):
            began = time.perf_counter()
            body = {"text": QUESTION, "id": uuid.uuid4().hex}
            async with session.post(url + "/api/chat", json=body) as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"POST /api/chat answered {response.status}")
            times.append((time.perf_counter() - began) * 1000)
    return times[0], statistics.median(times[1:])


async def store_users(path: str, count: int) -> str:
    """A migrated SQLite database at ``path`` holding ``count`` web chat citizens, each with
    a conversation and a question and answer logged; its URL."""
    url = f"sqlite+aiosqlite:///{path}"
    migrate = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.storage.schema", env={**os.environ, "MOTCUA_DATABASE_URL": url}
    )
    if await migrate.wait() != 0:
        raise SystemExit("migrating the database failed")
    now = datetime.now(UTC)
    ids = range(1, count + 1)
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(
            insert(UserRow),
            [
                {"id": i, "channel": "web", "user_id": f"citizen-{i}", "locale": "vi"}
                | {"created_at": now, "last_seen_at": now}
                for i in ids
            ],
        )
        connection.execute(
            insert(ConversationRow),
            [{"user_pk": i, "state": fresh(), "version": 1, "updated_at": now} for i in ids],
        )
        connection.execute(
            insert(MessageLogRow),
            [
                {"at": now, "direction": way, "channel": "web", "user_id": f"citizen-{i}"}
                | {"text": text}
                for i in ids
                for way, text in (("in", QUESTION), ("out", "Thủ tục đăng ký khai sinh"))
            ],
        )
    engine.dispose()
    return url


async def main(argv: Sequence[str] | None = None) -> None:
    """Measure every set-up and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="interpreters timed, replies timed")
    parser.add_argument("--users", type=int, default=100_000, help="citizens stored (0: none)")
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    args = parser.parse_args(argv)
    modules, import_ms = await import_cost({}, args.runs)
    rows = [("nothing configured (SQLite, web chat)", await idle_rss({}, None))]
    if args.users:
        with tempfile.TemporaryDirectory(prefix="motcua-users-") as folder:
            url = await store_users(f"{folder}/motcua.sqlite3", args.users)
            name = f"same, {args.users:,} users stored"
            rows.append((name, await idle_rss({}, None, url)))
    if args.redis_url:
        async with FakeTelegram() as telegram:
            env = motcua_env(telegram, "http://127.0.0.1:9")
            rows.append(("Telegram (webhook) + Redis", await idle_rss(env, args.redis_url)))
    first, then = await replies(args.runs)
    print(f"import bot.app: {modules} modules, {import_ms:.0f} ms (median of {args.runs})")
    print(f"{'motcua serve, idle':<38} {'RSS MB':>6}")
    for name, mb in rows:
        print(f"{name:<38} {mb:>6.0f}")
    print(f"web chat reply, nothing configured: first {first:.0f} ms, next {then:.0f} ms (median)")


if __name__ == "__main__":
    asyncio.run(main())
