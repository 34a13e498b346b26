"""Many citizens at once on the web chat: errors and reply latency with two workers.

``python -m bench.load`` creates a scratch PostgreSQL database, starts ``--workers`` real
``motcua serve`` processes sharing it and Redis (as behind a load balancer), and for each
``--users`` count lets that many simulated citizens write at the same moment, each sending
``--messages`` questions one after the other (each waits for its answer), spread over the
workers. It prints one row per user count: users, requests, errors (any answer but 200, or a
failed connection), p50 and p99 reply latency, and requests per second.

PostgreSQL and Redis come from ``--database-url`` / ``--redis-url`` or the test suite's
``MOTCUA_TEST_POSTGRES_URL`` / ``MOTCUA_TEST_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bench.web_roundtrip import QUESTIONS
from bench.workers import scratch_postgres, workers


@dataclass(frozen=True, slots=True)
class LoadResult:
    """One run: how many users wrote at once, and what they saw."""

    users: int
    latencies: list[float]
    errors: list[str]
    wall: float

    @property
    def requests(self) -> int:
        """Requests sent, answered or not."""
        return len(self.latencies) + len(self.errors)

    def percentile(self, p: int) -> float:
        """The ``p``-th percentile of the answered requests' latency, in milliseconds."""
        if len(self.latencies) < 2:
            return 1000 * (self.latencies[0] if self.latencies else 0.0)
        return 1000 * statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


async def run_users(urls: Sequence[str], users: int, messages: int) -> LoadResult:
    """``users`` citizens writing at once, user ``i`` talking to worker ``i % len(urls)``."""
    latencies: list[float] = []
    errors: list[str] = []
    start = asyncio.Event()

    timeout = aiohttp.ClientTimeout(total=300)
    connector = aiohttp.TCPConnector(limit=users)

    async def citizen(index: int) -> None:
        url = urls[index % len(urls)] + "/api/chat"
        # A browser of its own: the identity cookie the server hands out makes it one citizen.
        async with aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            timeout=timeout,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        ) as session:
            await start.wait()
            for i in range(messages):
                body = {"text": QUESTIONS[(index + i) % len(QUESTIONS)], "id": uuid.uuid4().hex}
                begun = time.perf_counter()
                try:
                    async with session.post(url, json=body) as response:
                        await response.read()
                        status = response.status
                except aiohttp.ClientError as exc:
                    errors.append(type(exc).__name__)
                    continue
                if status == 200:
                    latencies.append(time.perf_counter() - begun)
                else:
                    errors.append(f"HTTP {status}")

    async with connector:
        tasks = [asyncio.create_task(citizen(i)) for i in range(users)]
        await asyncio.sleep(0)
        began = time.perf_counter()
        start.set()
        await asyncio.gather(*tasks)
        return LoadResult(users, latencies, errors, time.perf_counter() - began)


def table(results: Sequence[LoadResult]) -> str:
    """The printed table, one row per run."""
    lines = [f"{'users':>6} {'requests':>9} {'errors':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8}"]
    lines += [
        f"{r.users:>6} {r.requests:>9} {len(r.errors):>7} {r.percentile(50):>9.1f} "
        f"{r.percentile(99):>9.1f} {r.requests / r.wall:>8.1f}"
        for r in results
    ]
    return "\n".join(lines)


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the load and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--users", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--messages", type=int, default=3, help="questions per user")
    parser.add_argument("--workers", type=int, default=2, help="motcua serve processes")
    parser.add_argument("--database-url", default=os.environ.get("MOTCUA_TEST_POSTGRES_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    args = parser.parse_args(argv)
    if not (args.database_url and args.redis_url):
        parser.error("PostgreSQL and Redis are needed: --database-url and --redis-url")

    async with (
        scratch_postgres(args.database_url) as database,
        workers(args.workers, database_url=database, redis_url=args.redis_url) as urls,
    ):
        await run_users(urls, len(urls), 2)  # warm up: first searches, first connections
        results = [await run_users(urls, users, args.messages) for users in args.users]
    print(
        f"web chat under load: {args.workers} workers, PostgreSQL + Redis, "
        f"{args.messages} questions per user"
    )
    print(table(results))
    for result in results:
        if result.errors:
            kinds = sorted(set(result.errors))
            print(f"{result.users} users: {len(result.errors)} errors: {', '.join(kinds)}")


if __name__ == "__main__":
    asyncio.run(main())
