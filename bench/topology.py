"""``compose.yaml``'s topology as plain processes on this machine, until Ctrl+C.

``python -m bench.topology`` creates a scratch PostgreSQL database next to ``--database-url``,
migrates it once, and starts the sandbox portal, ``--web`` ``motcua serve`` workers and
``--senders`` ``motcua worker`` processes sharing it and Redis, then prints their addresses.
There is no nginx: clients spread their requests over the web workers themselves, as the
benchmarks do. The database is dropped when it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence

from bench.workers import scratch_postgres, workers


async def main(argv: Sequence[str] | None = None) -> None:
    """Start the processes, print where they listen, and wait for Ctrl+C or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m bench.topology", description=__doc__)
    parser.add_argument("--web", type=int, default=2, help="motcua serve processes")
    parser.add_argument("--senders", type=int, default=1, help="motcua worker processes")
    parser.add_argument("--database-url", default=os.environ.get("MOTCUA_TEST_POSTGRES_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    args = parser.parse_args(argv)
    if not (args.database_url and args.redis_url):
        parser.error("PostgreSQL and Redis are needed: --database-url and --redis-url")
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with (
        scratch_postgres(args.database_url) as database,
        workers(
            args.web,
            database_url=database,
            redis_url=args.redis_url,
            senders=args.senders,
            portal=True,
            quiet=False,
        ) as urls,
    ):
        print(f"web workers: {' '.join(urls)}; {args.senders} sender(s); Ctrl+C stops", flush=True)
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
