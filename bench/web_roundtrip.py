"""Web chat round trip: how long ``POST /api/chat`` takes, one message at a time and under load.

``python -m bench.web_roundtrip`` starts ``motcua serve`` in a subprocess on a free port with a
fresh SQLite database (or measures ``--url`` instead), then sends citizens' questions through the
whole path (HTTP, validation, dispatcher, search, dialogs, state save, message log) and prints
p50 / p99 / mean latency and throughput for N sequential messages, for N messages from
``--users`` users sent concurrently, and for N reads of the history an open page polls.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from bench.workers import workers

QUESTIONS = (
    "dang ky khai sinh",
    "lam cccd",
    "xin giay xac nhan tinh trang hon nhan",
    "dang ky ket hon",
    "cap lai bang lai xe bi mat",
    "đăng ký thường trú",
    "ly lich tu phap",
    "menu",
)


def citizen(**options: Any) -> aiohttp.ClientSession:
    """One browser: its own cookie jar, so the server's identity cookie makes it one user.

    The jar is "unsafe" only in that it keeps cookies from a server named by IP address.
    """
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **options)


async def _send(session: aiohttp.ClientSession, url: str, text: str) -> float:
    body = {"text": text, "id": uuid.uuid4().hex}
    started = time.perf_counter()
    async with session.post(url + "/api/chat", json=body) as response:
        await response.read()
        if response.status != 200:
            raise SystemExit(f"POST /api/chat answered {response.status}")
    return time.perf_counter() - started


async def sequential(
    url: str, count: int, session: aiohttp.ClientSession
) -> tuple[list[float], float]:
    """``count`` messages from one user, each sent after the previous answer."""
    started = time.perf_counter()
    times = [await _send(session, url, QUESTIONS[i % len(QUESTIONS)]) for i in range(count)]
    return times, time.perf_counter() - started


async def concurrent(url: str, count: int, users: int) -> tuple[list[float], float]:
    """``count`` messages spread over ``users`` users, each user's messages in order."""
    times: list[float] = []

    async def one_user(index: int) -> None:
        async with citizen() as session:
            for i in range(index, count, users):
                times.append(await _send(session, url, QUESTIONS[i % len(QUESTIONS)]))

    started = time.perf_counter()
    await asyncio.gather(*(one_user(i) for i in range(users)))
    return times, time.perf_counter() - started


async def polls(url: str, count: int, session: aiohttp.ClientSession) -> tuple[list[float], float]:
    """``count`` history reads of a long conversation, as an open page polls it."""
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(count):
        begun = time.perf_counter()
        async with session.get(url + "/api/history") as response:
            await response.read()
        times.append(time.perf_counter() - begun)
    return times, time.perf_counter() - started


def _row(name: str, times: Sequence[float], wall: float) -> str:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    ms = [t * 1000 for t in (cuts[49], cuts[98], statistics.fmean(times))]
    return (
        f"{name:<28} {len(times):>6} {ms[0]:>9.1f} {ms[1]:>9.1f} {ms[2]:>9.1f} "
        f"{len(times) / wall:>9.1f}"
    )


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.web_roundtrip", description=__doc__)
    parser.add_argument("-n", "--messages", type=int, default=200, help="messages per run")
    parser.add_argument("--users", type=int, default=20, help="concurrent users")
    parser.add_argument("--url", help="measure this running server instead of starting one")
    parser.add_argument(
        "--database-url", help="database for the started server (default: a new SQLite file)"
    )
    args = parser.parse_args(argv)

    async with _target(args.url, args.database_url) as url:
        async with citizen() as warming:
            await sequential(url, 5, warming)  # warm up: first search, first connections
        async with citizen() as user:
            seq = await sequential(url, args.messages, user)
            con = await concurrent(url, args.messages, args.users)
            history = await polls(url, args.messages, user)
    where = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(f"web chat round trip against {args.url or f'a local motcua serve ({where})'}")
    print(f"{'run':<28} {'msgs':>6} {'p50 ms':>9} {'p99 ms':>9} {'mean ms':>9} {'msg/s':>9}")
    print(_row("sequential, 1 user", *seq))
    print(_row(f"concurrent, {args.users} users", *con))
    print(_row("history poll (GET)", *history))


@asynccontextmanager
async def _target(url: str | None, database_url: str | None) -> AsyncIterator[str]:
    if url:
        yield url.rstrip("/")
    else:
        async with workers(1, database_url=database_url) as started:
            yield started[0]


if __name__ == "__main__":
    asyncio.run(main())
