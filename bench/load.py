"""Many citizens at once on the web chat: errors, reply latency and memory with two workers.

``python -m bench.load`` creates a scratch PostgreSQL database, starts ``--workers`` real
``motcua serve`` processes sharing it and Redis (as behind a load balancer), and for each
``--users`` count lets that many simulated citizens write at the same moment, spread over the
workers. Each citizen sends a question, waits for its answer, and so on: ``--messages`` of them,
or, with ``--duration``, for that many seconds with a pause of ``--think`` seconds (on average,
a half to one and a half of it; 30 s unless given) between an answer and its next question,
as people read and type. An answer the server keeps for later (202, "one moment") is waited
for in the history, as the page does; the latency counts until it is there.

It prints one row per user count: users, requests, errors (any answer but 200 or 202, or a
failed connection), p50 and p99 reply latency, requests per second, and the workers' resident
memory (summed, from their ``/metrics``) after the warm-up and at the end; then, per user
count, how many answers came within each band of latency (the tail's shape). With ``--duration``
the memory is also sampled every minute and printed, so a leak shows as a slope.

``--sqlite`` runs one worker on a SQLite file without Redis (the embedded default) instead.
``--faults`` runs the load while the deployment is hurt (``bench.load_faults``).

PostgreSQL and Redis come from ``--database-url`` / ``--redis-url`` or the test suite's
``MOTCUA_TEST_POSTGRES_URL`` / ``MOTCUA_TEST_REDIS_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import statistics
import time
import uuid
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.web_roundtrip import QUESTIONS
from bench.workers import allow_open_files, scratch_postgres, workers

MEMORY_EVERY = 60.0
"""Seconds between two memory samples of a timed run."""

HISTORY_POLL = 5.0
"""Seconds between two history reads while an answer is kept for later: the page's
``POLL_MS``, so such an answer counts from when the citizen could see it."""

LATE = 120.0
"""Seconds after which an answer kept for later and still not in the history is an error."""


@dataclass(slots=True)
class LoadResult:
    """One run: how many users wrote at once, and what they saw."""

    users: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pending: int = 0
    """Answers kept for later (202) and found in the history."""
    wall: float = 0.0
    memory: list[tuple[float, float]] = field(default_factory=list)
    """(seconds into the run, the workers' resident bytes) samples, the first before it."""

    @property
    def requests(self) -> int:
        """Requests sent, answered or not."""
        return len(self.latencies) + len(self.errors)

    def percentile(self, p: int) -> float:
        """The ``p``-th percentile of the answered requests' latency, in milliseconds."""
        return percentile(self.latencies, p)


def percentile(times: Sequence[float], p: int) -> float:
    """The ``p``-th percentile of ``times`` (seconds), in milliseconds."""
    if len(times) < 2:
        return 1000 * (times[0] if times else 0.0)
    return 1000 * statistics.quantiles(times, n=100, method="inclusive")[p - 1]


async def resident_bytes(http: aiohttp.ClientSession, urls: Sequence[str]) -> float:
    """The workers' resident memory, summed, from their ``/metrics``."""
    total = 0.0
    for url in urls:
        async with http.get(url + "/metrics") as response:
            for line in (await response.text()).splitlines():
                if line.startswith("process_resident_memory_bytes "):
                    total += float(line.split()[1])
    return total


def answered_last(entries: Sequence[Mapping[str, Any]], said: str) -> bool:
    """Whether the history's ``entries`` show ``said`` as the last thing the citizen wrote,
    answered. A citizen's consecutive questions differ, so the last user entry carrying this
    text is this message once its turn has run."""
    users = [i for i, entry in enumerate(entries) if entry["role"] == "user"]
    return bool(users) and entries[users[-1]]["text"] == said and users[-1] < len(entries) - 1


async def _answered_later(session: aiohttp.ClientSession, url: str, said: str) -> None:
    """Wait until the history shows ``said`` answered, reading it as the page polls."""
    while True:
        await asyncio.sleep(HISTORY_POLL)
        async with session.get(url + "/api/history") as response:
            if response.status != 200:
                continue
            entries = (await response.json())["entries"]
        if answered_last(entries, said):
            return


async def run_users(
    urls: Sequence[str],
    users: int,
    messages: int | None = None,
    *,
    duration: float | None = None,
    think: float = 0.0,
) -> LoadResult:
    """``users`` citizens writing at once, user ``i`` talking to worker ``i % len(urls)``.

    Each sends ``messages`` questions, or keeps asking for ``duration`` seconds, pausing about
    ``think`` seconds between an answer and the next question (the first question comes within
    one pause, so the citizens do not all write in the same instant).
    """
    if (messages is None) == (duration is None):
        raise ValueError("give either messages or duration")
    result = LoadResult(users)
    start = asyncio.Event()
    timeout = aiohttp.ClientTimeout(total=300)
    connector = aiohttp.TCPConnector(limit=users)
    rng = random.Random(users)

    def pause() -> float:
        return think * rng.uniform(0.5, 1.5)

    async def citizen(index: int) -> None:
        url = urls[index % len(urls)]
        # A browser of its own: the identity cookie the server hands out makes it one citizen.
        async with aiohttp.ClientSession(
            connector=connector,
            connector_owner=False,
            timeout=timeout,
            cookie_jar=aiohttp.CookieJar(unsafe=True),
        ) as session:
            await start.wait()
            ends = time.perf_counter() + duration if duration is not None else None
            if think:
                await asyncio.sleep(rng.uniform(0, think))
            sent = 0
            while (ends is None and sent < (messages or 0)) or (
                ends is not None and time.perf_counter() < ends
            ):
                said = QUESTIONS[(index + sent) % len(QUESTIONS)]
                sent += 1
                begun = time.perf_counter()
                try:
                    async with session.post(
                        url + "/api/chat", json={"text": said, "id": uuid.uuid4().hex}
                    ) as response:
                        await response.read()
                        status = response.status
                    if status == 202:
                        async with asyncio.timeout(LATE):
                            await _answered_later(session, url, said)
                        result.pending += 1
                except aiohttp.ClientError as exc:
                    result.errors.append(type(exc).__name__)
                    continue
                except TimeoutError:
                    result.errors.append("no answer")
                    continue
                if status in (200, 202):
                    result.latencies.append(time.perf_counter() - begun)
                else:
                    result.errors.append(f"HTTP {status}")
                if think:
                    await asyncio.sleep(pause())

    async def watch_memory(http: aiohttp.ClientSession, began: float) -> None:
        while True:
            await asyncio.sleep(MEMORY_EVERY)
            result.memory.append((time.perf_counter() - began, await resident_bytes(http, urls)))

    async with connector, aiohttp.ClientSession() as http:
        tasks = [asyncio.create_task(citizen(i)) for i in range(users)]
        await asyncio.sleep(0)
        result.memory.append((0.0, await resident_bytes(http, urls)))
        began = time.perf_counter()
        watcher = asyncio.create_task(watch_memory(http, began)) if duration else None
        start.set()
        await asyncio.gather(*tasks)
        result.wall = time.perf_counter() - began
        if watcher is not None:
            watcher.cancel()
        result.memory.append((result.wall, await resident_bytes(http, urls)))
    return result


def table(results: Sequence[LoadResult]) -> str:
    """The printed table, one row per run."""
    lines = [
        f"{'users':>6} {'requests':>9} {'errors':>7} {'p50 ms':>9} {'p99 ms':>9} {'req/s':>8} "
        f"{'202s':>6} {'RSS start MB':>13} {'RSS end MB':>11}"
    ]
    lines += [
        f"{r.users:>6} {r.requests:>9} {len(r.errors):>7} {r.percentile(50):>9.1f} "
        f"{r.percentile(99):>9.1f} {r.requests / r.wall:>8.1f} {r.pending:>6} "
        f"{r.memory[0][1] / 2**20:>13.0f} {r.memory[-1][1] / 2**20:>11.0f}"
        for r in results
    ]
    return "\n".join(lines)


SPREAD = (0.1, 0.3, 1.0, 1.5, 3.0)
"""Upper bounds, in seconds, of the latency bands :func:`spread_table` counts answers in; a
band at 1-1.5 s is where a request waiting for another worker's turn lands (it looks at its
row again once a second)."""


def spread_table(results: Sequence[LoadResult]) -> str:
    """How many answers came within each band of :data:`SPREAD`, one row per run: the shape of
    the tail, which one percentile hides."""
    bounds = (0.0, *SPREAD, float("inf"))
    bands = [
        f"<{high:g} s"
        if low == 0
        else f">{low:g} s"
        if high == float("inf")
        else f"{low:g}-{high:g} s"
        for low, high in itertools.pairwise(bounds)
    ]
    lines = [f"{'users':>6} " + " ".join(f"{band:>9}" for band in bands)]
    for r in results:
        counts = [
            sum(low <= latency < high for latency in r.latencies)
            for low, high in itertools.pairwise(bounds)
        ]
        lines.append(f"{r.users:>6} " + " ".join(f"{count:>9}" for count in counts))
    return "\n".join(lines)


def memory_table(result: LoadResult) -> str:
    """The memory samples of a timed run, one line each."""
    lines = [f"{'second':>7} {'RSS MB':>8}"]
    lines += [f"{at:>7.0f} {rss / 2**20:>8.1f}" for at, rss in result.memory]
    return "\n".join(lines)


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the load and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--users", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--messages", type=int, default=3, help="questions per user")
    parser.add_argument("--duration", type=float, help="seconds each user keeps asking")
    parser.add_argument(
        "--think",
        type=float,
        help="mean seconds between questions (30 with --duration, as people read; else 0)",
    )
    parser.add_argument("--workers", type=int, default=2, help="motcua serve processes")
    parser.add_argument("--sqlite", action="store_true", help="one worker, SQLite, no Redis")
    parser.add_argument("--faults", action="store_true", help="hurt the deployment meanwhile")
    parser.add_argument("--database-url", default=os.environ.get("MOTCUA_TEST_POSTGRES_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    args = parser.parse_args(argv)
    if args.think is None:
        args.think = 30.0 if args.duration else 0.0
    allow_open_files(max(args.users))
    if args.faults:
        from bench.load_faults import main as faults_main

        await faults_main(args)
        return
    if not args.sqlite and not (args.database_url and args.redis_url):
        parser.error("PostgreSQL and Redis are needed: --database-url and --redis-url")
    messages = None if args.duration else args.messages

    async with AsyncExitStack() as stack:
        if args.sqlite:
            urls = await stack.enter_async_context(workers(1))
        else:
            database = await stack.enter_async_context(scratch_postgres(args.database_url))
            urls = await stack.enter_async_context(
                workers(args.workers, database_url=database, redis_url=args.redis_url)
            )
        await run_users(urls, len(urls), 2)  # warm up: first searches, first connections
        results = [
            await run_users(urls, users, messages, duration=args.duration, think=args.think)
            for users in args.users
        ]
    setup = "1 worker, SQLite" if args.sqlite else f"{args.workers} workers, PostgreSQL + Redis"
    per_user = (
        f"asking for {args.duration:.0f} s, {args.think:g} s between questions on average"
        if args.duration
        else f"{args.messages} questions per user"
    )
    print(f"web chat under load: {setup}, {per_user}")
    print(table(results))
    print("answers by latency")
    print(spread_table(results))
    for result in results:
        if result.errors:
            kinds = sorted(set(result.errors))
            print(f"{result.users} users: {len(result.errors)} errors: {', '.join(kinds)}")
        if args.duration:
            print(f"{result.users} users: workers' resident memory")
            print(memory_table(result))


if __name__ == "__main__":
    asyncio.run(main())
