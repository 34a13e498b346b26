"""What a worker costs before its first message: import time, modules and idle memory.

``python -m bench.startup`` prints the modules ``import bot.app`` loads and its import time
(``python -X importtime``, the median of ``--runs`` fresh interpreters), then the resident
memory of ``motcua serve`` once healthy (the whole knowledge base loaded, read from its
``/metrics``) with nothing configured (SQLite, web chat, the sandbox portal: the embedded
default) and with Telegram and Redis. Channels and features that are not configured are not
imported, so the first row is what a worker pays for nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
from collections.abc import Mapping, Sequence

from bench.throughput import motcua_env, process_figures
from bench.workers import workers
from tests.fakes.telegram import FakeTelegram

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


async def idle_rss(env: Mapping[str, str], redis_url: str | None) -> float:
    """Resident MB of one healthy ``motcua serve``."""
    async with workers(1, env=env, redis_url=redis_url) as urls:
        _, rss = await process_figures(urls)
    return rss / 2**20


async def main(argv: Sequence[str] | None = None) -> None:
    """Measure both set-ups and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup", description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="interpreters timed per import")
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    args = parser.parse_args(argv)
    modules, import_ms = await import_cost({}, args.runs)
    rows = [("nothing configured (SQLite, web chat)", await idle_rss({}, None))]
    if args.redis_url:
        async with FakeTelegram() as telegram:
            env = motcua_env(telegram, "http://127.0.0.1:9")
            rows.append(("Telegram (webhook) + Redis", await idle_rss(env, args.redis_url)))
    print(f"import bot.app: {modules} modules, {import_ms:.0f} ms (median of {args.runs})")
    print(f"{'motcua serve, idle':<38} {'RSS MB':>6}")
    for name, mb in rows:
        print(f"{name:<38} {mb:>6.0f}")


if __name__ == "__main__":
    asyncio.run(main())
