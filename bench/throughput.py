"""Messages a second through the whole Telegram path, against a bare python-telegram-bot echo bot.

``python -m bench.throughput`` starts a fake Bot API (``bench.lean_telegram``: the tests' fake,
made cheap for a load; the one both bots talk to), then in turn: a bare PTB echo bot
(``bench.echo_bot``: webhook in aiohttp, no storage, no limits) as the reference; ``motcua
serve`` on SQLite; on PostgreSQL; and two ``motcua serve`` workers on PostgreSQL + Redis, the
fake posting each webhook to the next worker in turn (the round-robin balancer). Each server is
pinned to one core with ``taskset`` (the two workers to one core each); this process (the
fake, the chats) runs on the second. ``--users`` chats each send ``--messages`` texts at once
(the evaluation set's citizen questions, each once: ``citizen_questions``); the fake delivers
them by webhook (one update in flight per chat, as Telegram does) and the run ends when the
replies stop. Per-chat and bot-wide send limits are lifted for every server.

Printed per server: messages a second (texts answered / time to the last reply) and its ratio
to the echo bot's in the same run; CPU milliseconds per message (from the servers'
``process_cpu_seconds_total``), the messages a second one free core would answer at that cost
(1000 / CPU ms) and its ratio to the echo bot's (on a shared machine the wall-clock rate
follows the neighbours' load, the CPU cost does not); the CPU milliseconds per message of this
process, the load (the fake Bot API and the chats), which shares the second worker's core;
PostgreSQL's CPU milliseconds per message (its backends for the servers' database,
``bench.backend_cpu``), which shares both cores, and the PostgreSQL connections the servers
opened during the load (``PG conns``: ``sessions_opened``); resident memory idle after
start-up (the whole knowledge base loaded) and at the end. Two workers' figures are their
sum. Then two workers' rate over one's, beside the most these two cores allow at the costs
measured (``two_against_one``, ``bench/workers.md``).
``--reference-only`` measures the echo bot alone. ``--profile PATH`` also samples the SQLite
server with py-spy under the same load and writes the top of the flame graph to PATH
(``bench/throughput-profile.md``). ``--profile-workers
PATH`` instead samples one worker on PostgreSQL, then both of two on PostgreSQL + Redis, and
writes each function's CPU milliseconds a message in both and the difference: where the
second worker's CPU goes (``bench/workers-profile.md``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import re
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import uvloop
from aiohttp import web
from sqlalchemy.engine import make_url

from bench import backend_cpu
from bench.lean_telegram import LeanTelegram
from bench.search import QUERIES, read_queries
from bench.workers import free_port, scratch_postgres, workers
from tests.fakes.telegram import TOKEN, FakeTelegram

ONE_POSTGRES = "motcua, PostgreSQL, 1 worker"
TWO_WORKERS = "motcua, PostgreSQL + Redis, 2 workers"

SERVER_CPUS = (0, 1)
"""Core of the one-worker servers (the first), and of the second of two workers."""

UNLIMITED_SENDS = {
    "MOTCUA_TELEGRAM_CHAT_RATE": "100000",
    "MOTCUA_TELEGRAM_GLOBAL_RATE": "1000",
}
"""The echo bot has no send limits; motcua's are lifted so the two do the same work: the
bot-wide rate to the most the setting allows (1,000 a second, Telegram's paid broadcasts), far
above what one worker answers, and each chat's rate out of the way."""


WARM_UP = (40, 3)
"""Chats and texts each before the measured load: the first searches, the caches, and every
pooled database connection of every worker (ten each) with its statements prepared. Warmed
with four chats, a worker still prepared statements on its other connections during the
load, and two workers twice as many as one (0.14 ms a message more in ``--profile-workers``):
a cost of starting, not of answering."""

LOOK = 0.1
"""Seconds between two counts of the replies while a load runs."""


class Stalled(Exception):
    """The replies stopped before every text was answered (printed instead of a row)."""


@dataclass(frozen=True, slots=True)
class Run:
    """One server's figures."""

    name: str
    messages: int
    replies: int
    seconds: float
    cpu_seconds: float
    load_cpu_seconds: float
    database_cpu_seconds: float
    idle_rss_bytes: float
    rss_bytes: float
    split: tuple[tuple[float, float], ...] = ()
    """Per worker of several: its CPU seconds and the messages it answered."""
    sessions: int | None = None
    """PostgreSQL connections the servers opened during the load (None without PostgreSQL)."""

    @property
    def per_second(self) -> float:
        """Texts answered a second."""
        return self.messages / self.seconds

    @property
    def cpu_ms_per_message(self) -> float:
        """The servers' CPU time per text, in milliseconds."""
        return 1000 * self.cpu_seconds / self.messages

    @property
    def load_ms_per_message(self) -> float:
        """This process's CPU time per text (the fake, the balancer, the chats), in ms."""
        return 1000 * self.load_cpu_seconds / self.messages

    @property
    def database_ms_per_message(self) -> float:
        """PostgreSQL's CPU time per text (its backends for the servers' database), in ms."""
        return 1000 * self.database_cpu_seconds / self.messages


async def sessions_opened(database: str) -> int:
    """PostgreSQL sessions ever opened on ``database`` (``pg_stat_database.sessions``), less
    the one that asks: the connections a load made the servers open, read before and after it
    (each a server process forked, authentication, asyncpg's statements prepared again)."""
    url = make_url(database).set(drivername="postgresql")
    connection = await asyncpg.connect(url.render_as_string(hide_password=False))
    try:
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        opened = await connection.fetchval(
            "SELECT sessions FROM pg_stat_database WHERE datname = $1", url.database
        )
    finally:
        await connection.close()
    return int(opened) - 1


async def process_figures(urls: Sequence[str]) -> tuple[float, float]:
    """Summed CPU seconds and resident bytes of the servers, from their ``/metrics``."""
    cpu = rss = 0.0
    async with aiohttp.ClientSession() as http:
        for url in urls:
            async with http.get(url + "/metrics") as response:
                for line in (await response.text()).splitlines():
                    if line.startswith("process_cpu_seconds_total "):
                        cpu += float(line.split()[1])
                    elif line.startswith("process_resident_memory_bytes "):
                        rss += float(line.split()[1])
    return cpu, rss


async def worker_figures(urls: Sequence[str]) -> list[tuple[float, float]]:
    """Each server's CPU seconds and Telegram messages answered so far, from its ``/metrics``
    (the reply latency's count: one a message answered, by the worker that answered it)."""
    figures = []
    async with aiohttp.ClientSession() as http:
        for url in urls:
            cpu = answered = 0.0
            async with http.get(url + "/metrics") as response:
                for line in (await response.text()).splitlines():
                    if line.startswith("process_cpu_seconds_total "):
                        cpu = float(line.split()[1])
                    elif line.startswith('motcua_reply_latency_seconds_count{channel="telegram"}'):
                        answered = float(line.split()[1])
            figures.append((cpu, answered))
    return figures


def citizen_questions() -> list[str]:
    """The evaluation set's citizen questions in its order, each once (1,189 of them, short
    and long, with and without diacritics): citizens' texts rarely repeat word for word, so a
    run of up to that many texts is never answered from the results a search index keeps."""
    return [query.q for query in read_queries(QUERIES / "eval.jsonl")]


async def drive(
    name: str,
    telegram: LeanTelegram,
    users: int,
    messages: int,
    first_id: int,
    *,
    last_first: bool = False,
) -> tuple[int, float]:
    """``users`` chats send ``messages`` texts each at once; (replies, seconds to the last).

    ``last_first``: the questions taken from the set's end, so that a warm-up's texts are not
    the measured load's (taken from its start), whose answers the index would then have kept.

    The replies are counted every ``LOOK`` seconds and the last one's time is the fake's own
    note of it: looking more often only spent the load's CPU (waking 200 times a second cost
    about a tenth of a millisecond a message on a run of 20 seconds)."""
    before = len(telegram.sent)
    chats = [telegram.user(first_id + n) for n in range(users)]
    questions = citizen_questions()
    texts = itertools.cycle(reversed(questions) if last_first else questions)
    expected = users * messages
    began = time.perf_counter()
    for chat in chats:
        for _ in range(messages):
            chat.send(next(texts))
    last_change, seen = began, before
    while True:
        await asyncio.sleep(LOOK)
        now = time.perf_counter()
        if len(telegram.sent) != seen:
            seen, last_change = len(telegram.sent), now
            continue
        answered = {m.chat_id for m in telegram.sent[before:]}
        if len(answered) == users and seen - before >= expected and now - last_change > 1.0:
            return seen - before, telegram.last_sent_at - began
        if now - last_change > 60:
            refused = Counter(d.status for d in telegram.deliveries if not 200 <= d.status < 300)
            raise Stalled(
                f"{name}: no reply for 60 s, {seen - before} replies to {expected} texts, "
                f"{len(answered)} of {users} chats answered; webhook deliveries refused, by "
                f"status (0: no answer): {dict(refused) or 'none'}"
            )


async def measure(
    name: str,
    telegram: LeanTelegram,
    urls: Sequence[str],
    users: int,
    messages: int,
    *,
    database: str | None = None,
    profile: Sequence[tuple[int, Path]] = (),
) -> Run:
    """Read the idle servers' memory, warm them up, then drive the load and read their figures.

    ``database``: the PostgreSQL database the servers use, whose backends' CPU is counted.
    ``profile`` (process ids and files): py-spy samples each process during the load and
    writes its collapsed stacks to its file.
    """
    _, idle_rss = await process_figures(urls)
    await drive(name, telegram, *WARM_UP, first_id=9_000_000, last_first=True)
    cpu_before, _ = await process_figures(urls)
    split_before = await worker_figures(urls) if len(urls) > 1 else []
    samplers = [
        await asyncio.create_subprocess_exec(
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--format",
            "raw",
            "--gil",  # only the thread holding the GIL: where Python spends CPU
            "--rate",
            "200",
            "--output",
            str(raw),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for pid, raw in profile
    ]
    sessions_before = None if database is None else await sessions_opened(database)
    backends = None if database is None else backend_cpu.Sampler(make_url(database).database or "")
    if backends is not None:
        backends.start()
    load_before = time.process_time()
    replies, seconds = await drive(name, telegram, users, messages, first_id=1_000_000)
    load_cpu = time.process_time() - load_before
    database_cpu = 0.0
    if backends is not None:
        database_cpu = backends.stop()
        load_cpu -= backends.own  # its thread's looking is not the load's
    for sampler in samplers:
        sampler.send_signal(signal.SIGINT)  # stop sampling and write the stacks
        await sampler.wait()
    cpu_after, rss = await process_figures(urls)
    sessions = None
    if database is not None and sessions_before is not None:
        sessions = await sessions_opened(database) - sessions_before
    split = [
        (cpu - cpu_was, answered - answered_was)
        for (cpu, answered), (cpu_was, answered_was) in zip(
            await worker_figures(urls) if split_before else [], split_before, strict=True
        )
    ]
    return Run(
        name,
        users * messages,
        replies,
        seconds,
        cpu_after - cpu_before,
        load_cpu,
        database_cpu,
        idle_rss,
        rss,
        tuple(split),
        sessions,
    )


@asynccontextmanager
async def echo_bot(telegram: FakeTelegram) -> AsyncIterator[list[str]]:
    """The reference bot on core ``SERVER_CPUS[0]``; yields its URL once its webhook is set."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = await asyncio.create_subprocess_exec(
        "taskset",
        "-c",
        str(SERVER_CPUS[0]),
        sys.executable,
        "-m",
        "bench.echo_bot",
        "--port",
        str(port),
        "--api-url",
        telegram.url,
        "--public-url",
        url,
        "--token",
        TOKEN,
    )
    try:
        await telegram.wait_for(lambda: telegram.webhook is not None, within=60)
        yield [url]
    finally:
        process.terminate()
        await process.wait()


@asynccontextmanager
async def balancer(targets: Sequence[str]) -> AsyncIterator[str]:
    """Round-robin HTTP forwarding to ``targets``: the load balancer in front of the workers.

    A target that refuses the connection or drops it (a worker killed or restarting) is skipped
    for the next one, as nginx's ``proxy_next_upstream error``; 502 when none answers.
    """
    turn = itertools.cycle(targets)
    async with aiohttp.ClientSession() as http:

        async def forward(request: web.Request) -> web.Response:
            body = await request.read()
            headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
            for _ in targets:
                try:
                    async with http.post(
                        next(turn) + request.path, data=body, headers=headers
                    ) as answer:
                        return web.Response(status=answer.status, body=await answer.read())
                except aiohttp.ClientError:
                    continue
            return web.Response(status=502)

        app = web.Application()
        app.router.add_post("/{path:.*}", forward)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


def motcua_env(telegram: FakeTelegram, public_url: str) -> dict[str, str]:
    """A Telegram bot on the fake, webhook at ``public_url``, send limits lifted."""
    return {
        "MOTCUA_TELEGRAM_TOKEN": TOKEN,
        "MOTCUA_TELEGRAM_API_URL": telegram.url,
        "MOTCUA_PUBLIC_URL": public_url,
        **UNLIMITED_SENDS,
    }


async def run_motcua(
    name: str,
    count: int,
    users: int,
    messages: int,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    profile_to: Path | None = None,
) -> Run:
    """``count`` motcua workers (one core each) measured on a fresh fake, which posts each
    webhook to the next worker in turn (the load balancer, ``bench.lean_telegram``); each
    worker's collapsed stacks are written to :func:`stacks_of` ``profile_to`` when given."""
    ports = [free_port() for _ in range(count)]
    targets = [f"http://127.0.0.1:{p}" for p in ports]
    async with LeanTelegram(targets) as telegram:
        pids: list[int] = []
        async with workers(
            count,
            database_url=database_url,
            redis_url=redis_url,
            env=motcua_env(telegram, targets[0]),
            ports=ports,
            cpus=SERVER_CPUS[:count],
            pids=pids,
        ) as urls:
            await telegram.wait_for(lambda: telegram.webhook is not None, within=60)
            profile = list(zip(pids, stacks_of(profile_to, count), strict=False))
            return await measure(
                name, telegram, urls, users, messages, database=database_url, profile=profile
            )


def stacks_of(prefix: Path | None, count: int) -> list[Path]:
    """Where ``count`` workers' collapsed stacks go: ``prefix-0.txt`` … (none without one)."""
    return [] if prefix is None else [Path(f"{prefix}-{n}.txt") for n in range(count)]


async def run_reference(users: int, messages: int) -> Run:
    """The bare echo bot measured on a fresh fake."""
    async with LeanTelegram() as telegram, echo_bot(telegram) as urls:
        return await measure("PTB echo bot (reference)", telegram, urls, users, messages)


def table(runs: Sequence[Run], reference: Run) -> str:
    """The printed table."""
    lines = [
        f"{'server':<38} {'msg/s':>7} {'× echo':>6} {'CPU ms/msg':>10} {'msg/s/core':>10} "
        f"{'× echo':>6} {'load ms/msg':>11} {'PG ms/msg':>9} {'PG conns':>8} {'idle MB':>7} "
        f"{'end MB':>6}"
    ]
    for run in runs:
        per_core = 1000 / run.cpu_ms_per_message
        lines.append(
            f"{run.name:<38} {run.per_second:>7.1f} "
            f"{run.per_second / reference.per_second:>6.2f} {run.cpu_ms_per_message:>10.2f} "
            f"{per_core:>10.0f} {reference.cpu_ms_per_message / run.cpu_ms_per_message:>6.2f} "
            f"{run.load_ms_per_message:>11.2f} {run.database_ms_per_message:>9.2f} "
            f"{'' if run.sessions is None else run.sessions:>8} "
            f"{run.idle_rss_bytes / 2**20:>7.0f} {run.rss_bytes / 2**20:>6.0f}"
        )
    return "\n".join(lines)


def two_against_one(one: Run, two: Run) -> str:
    """Two workers' rate over one's, beside what these two cores allow at the costs measured.

    One worker has a core of its own (``SERVER_CPUS[0]``) and answers at most 1000 / w a
    second; two workers share both cores with the load and PostgreSQL, so together they answer
    at most 2000 / (w2 + l + p) a second (w2: both workers' CPU a message, l: the load's, p:
    PostgreSQL's): the ratio is at most 2 w / (w2 + l + p), whatever the workers do, and 2 w /
    w2 with the two cores theirs alone (the load and the database elsewhere, as deployed).
    """
    w, w2 = one.cpu_ms_per_message, two.cpu_ms_per_message
    rest = two.load_ms_per_message + two.database_ms_per_message
    return (
        f"two workers ÷ one: {two.per_second / one.per_second:.2f}× messages/s; "
        f"these 2 cores allow at most 2w/(w2+l+p) = 2×{w:.2f}/({w2:.2f}+"
        f"{two.load_ms_per_message:.2f}+{two.database_ms_per_message:.2f}) = "
        f"{2 * w / (w2 + rest):.2f}×; with two cores for the workers alone 2w/w2 = "
        f"{2 * w / w2:.2f}×"
    )


def per_worker(run: Run) -> str:
    """Each worker's CPU a message it answered: the one alone on its core (``SERVER_CPUS[0]``)
    against the one sharing its core with the load, which tells a cost of coordination (both
    pay it) from one of a crowded core."""
    return "per worker: " + "; ".join(
        f"core {SERVER_CPUS[n]}: {1000 * cpu / answered:.2f} CPU ms a message over "
        f"{answered:.0f} messages"
        for n, (cpu, answered) in enumerate(run.split)
        if answered
    )


def profile_counts(raws: Sequence[Path]) -> tuple[Counter[str], Counter[str], int]:
    """Own and cumulative samples per frame of py-spy's collapsed stacks, and the total.

    Own time is the sampled stack's last frame; cumulative time counts each frame once per
    sample it appears in. Frames are ``function (file)``, without line numbers, so a
    function's samples add up; several processes' stacks (two workers) are added together.
    """
    own: Counter[str] = Counter()
    cumulative: Counter[str] = Counter()
    total = 0
    for raw in raws:
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
            total += int(count)
            own[frames[-1]] += int(count)
            for frame in set(frames):
                cumulative[frame] += int(count)
    return own, cumulative, total


def profile_table(raws: Sequence[Path], lines: int = 40) -> str:
    """The top of a py-spy flame graph (collapsed stacks) as two Markdown tables."""
    own, cumulative, total = profile_counts(raws)
    out = [f"{total} samples of the motcua server while it answered the load.", ""]
    for title, counts in (("own", own), ("cumulative", cumulative)):
        out += [f"| % {title} | function (file) |", "|---:|---|"]
        out += [f"| {100 * n / total:.1f} | `{f}` |" for f, n in counts.most_common(lines)]
        out.append("")
    return "\n".join(out)


def compare_table(
    one: tuple[Run, Sequence[Path]], two: tuple[Run, Sequence[Path]], lines: int = 40
) -> str:
    """Where two workers' extra CPU a message goes: each function's share of the samples
    times the run's CPU ms a message, for one worker and for both of two, and the difference,
    largest first (own time, then cumulative)."""
    (run1, raws1), (run2, raws2) = one, two
    own1, cumulative1, total1 = profile_counts(raws1)
    own2, cumulative2, total2 = profile_counts(raws2)
    scale1 = run1.cpu_ms_per_message / max(total1, 1)
    scale2 = run2.cpu_ms_per_message / max(total2, 1)
    out = [
        f"One worker: {total1} samples, {run1.cpu_ms_per_message:.2f} CPU ms a message; two "
        f"workers: {total2} samples, {run2.cpu_ms_per_message:.2f} ms (both together).",
        "",
    ]
    for title, counts1, counts2 in (
        ("own", own1, own2),
        ("cumulative", cumulative1, cumulative2),
    ):
        frames = set(counts1) | set(counts2)
        change = {f: counts2[f] * scale2 - counts1[f] * scale1 for f in frames}
        out += [
            f"| ms/msg {title}, 1 worker | 2 workers | difference | function (file) |",
            "|---:|---:|---:|---|",
        ]
        out += [
            f"| {counts1[f] * scale1:.3f} | {counts2[f] * scale2:.3f} | {change[f]:+.3f} | `{f}` |"
            for f in sorted(frames, key=lambda f: -abs(change[f]))[:lines]
        ]
        out.append("")
    return "\n".join(out)


async def main(argv: Sequence[str] | None = None) -> None:
    """Measure every server and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--users", type=int, default=100, help="chats writing at once")
    parser.add_argument("--messages", type=int, default=5, help="texts per chat")
    parser.add_argument("--database-url", default=os.environ.get("MOTCUA_TEST_POSTGRES_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    parser.add_argument(
        "--profile", type=Path, help="also profile the SQLite server; the top goes to this file"
    )
    parser.add_argument(
        "--reference-only",
        action="store_true",
        help="measure the echo bot alone (its cost under this load generator)",
    )
    parser.add_argument(
        "--profile-workers",
        type=Path,
        help="only profile one worker and two on PostgreSQL (+ Redis) and write where the "
        "second worker's CPU goes to this file",
    )
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {SERVER_CPUS[-1]})  # the load off the first server's core
    if args.profile_workers:
        if not (args.database_url and args.redis_url):
            parser.error("--profile-workers needs --database-url and --redis-url")
        await profile_workers(args.profile_workers, args)
        return

    reference = await run_reference(args.users, args.messages)
    if args.reference_only:
        print(table([reference], reference))
        return
    runs = [reference]
    stalled: list[str] = []
    variants: list[tuple[str, int, bool, bool]] = [("motcua, SQLite, 1 worker", 1, False, False)]
    if args.database_url:
        variants.append((ONE_POSTGRES, 1, True, False))
        if args.redis_url:
            variants.append((TWO_WORKERS, 2, True, True))
    for name, count, postgres, redis in variants:
        try:
            if not postgres:
                runs.append(await run_motcua(name, count, args.users, args.messages))
                continue
            async with scratch_postgres(args.database_url) as database:
                runs.append(
                    await run_motcua(
                        name,
                        count,
                        args.users,
                        args.messages,
                        database_url=database,
                        redis_url=args.redis_url if redis else None,
                    )
                )
        except Stalled as stall:
            stalled.append(str(stall))
    print(
        f"Telegram webhook → reply, {args.users} chats × {args.messages} texts, "
        f"servers pinned to one core each (taskset)"
    )
    print(table(runs, reference))
    found = {run.name: run for run in runs}
    if ONE_POSTGRES in found and TWO_WORKERS in found:
        print(two_against_one(found[ONE_POSTGRES], found[TWO_WORKERS]))
        print(per_worker(found[TWO_WORKERS]))
    for line in stalled:
        print(f"did not finish: {line}")
    if args.profile:
        await profile_motcua(args.profile, args.users, args.messages)


async def profile_motcua(out: Path, users: int, messages: int) -> None:
    """Sample the SQLite server with py-spy under the same load; the top goes to ``out``."""
    with tempfile.TemporaryDirectory(prefix="motcua-profile-") as folder:
        stacks = Path(folder) / "worker"
        run = await run_motcua("profiled", 1, users, messages, profile_to=stacks)
        heading = (
            f"# Where the CPU goes: motcua, SQLite, 1 worker\n\n"
            f"`python -m bench.throughput --users {users} --messages {messages} --profile {out}`"
            " — py-spy, 200 samples a second of the thread holding the GIL, "
            f"{run.per_second:.1f} messages/s while sampled.\n\n"
        )
        text = heading + await asyncio.to_thread(profile_table, stacks_of(stacks, 1)) + "\n"
    await asyncio.to_thread(out.write_text, text)
    print(f"profile of the SQLite server: {out}")


async def profile_workers(out: Path, args: argparse.Namespace) -> None:
    """Sample one worker on PostgreSQL, then both of two on PostgreSQL + Redis, with py-spy
    under the same load; where the second worker's CPU goes is written to ``out``."""
    profiled: list[tuple[Run, Sequence[Path]]] = []
    with tempfile.TemporaryDirectory(prefix="motcua-profile-") as folder:
        for name, count, redis in ((ONE_POSTGRES, 1, None), (TWO_WORKERS, 2, args.redis_url)):
            stacks = Path(folder) / f"{count}-workers"
            async with scratch_postgres(args.database_url) as database:
                run = await run_motcua(
                    name,
                    count,
                    args.users,
                    args.messages,
                    database_url=database,
                    redis_url=redis,
                    profile_to=stacks,
                )
            profiled.append((run, stacks_of(stacks, count)))
        heading = (
            "# Where a second worker's CPU goes\n\n"
            f"`python -m bench.throughput --users {args.users} --messages {args.messages} "
            f"--database-url … --redis-url … --profile-workers {out}` — py-spy, 200 samples a "
            "second of the thread holding the GIL of every worker; "
            f"{profiled[0][0].per_second:.1f} and {profiled[1][0].per_second:.1f} messages/s "
            "while sampled.\n\n"
        )
        text = heading + await asyncio.to_thread(compare_table, profiled[0], profiled[1]) + "\n"
    await asyncio.to_thread(out.write_text, text)
    print(f"where the second worker's CPU goes: {out}")


if __name__ == "__main__":
    uvloop.run(main())
