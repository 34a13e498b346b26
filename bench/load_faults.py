"""Citizens keep writing while the deployment is hurt; afterwards nothing is lost or doubled.

``python -m bench.load --faults`` starts two real ``motcua serve`` workers on a PostgreSQL
server and a ``redis-server`` of its own (``tests/support``), and the
fake Telegram Bot API, whose webhook reaches the workers through a round-robin balancer that
skips a dead one. Half the citizens write on the web chat: a page posts to its worker and, when
the request fails (refused, dropped, 5xx), sends the same message (same id) again to the other
worker after a moment, as the page and a load balancer do. The other half write on Telegram.
Each asks, waits for the answer, pauses about ``--think`` seconds and asks again, for
``--duration`` seconds (at least until the faults are over), while in turn:

1. one worker is killed with SIGKILL and started again a moment later;
2. PostgreSQL is shut down (fast mode, as an administrator's restart: every open session is
   ended) and started again :data:`DATABASE_AWAY` seconds later;
3. Redis is stopped for :data:`REDIS_AWAY` seconds, then started again, empty;
4. Telegram answers ``sendMessage`` with 502, then with 429, for a while.

Then it waits until every message has been answered and checks, from the message log and what
the fake received: each citizen's messages took exactly one turn each, in order; each turn was
answered; each Telegram citizen received every logged reply exactly once, in order. It prints
that, the reply latency, the failures counted in the workers' ``/metrics``, the lines the
workers logged about them, and whether a log line names a citizen or quotes what they wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.load import answered_last
from bench.throughput import UNLIMITED_SENDS, balancer
from bench.web_roundtrip import QUESTIONS
from bench.workers import UNLIMITED, ServerProcess, _upgrade, free_port, open_messages
from integrations.webchat.identity import COOKIE
from tests.fakes.telegram import TOKEN, FakeTelegram
from tests.support.postgres_server import PostgresServer, postgres_server
from tests.support.postgres_server import available as postgres_server_available
from tests.support.redis_server import RedisServer
from tests.support.waiting import eventually

DATABASE_AWAY = 8.0
"""Seconds PostgreSQL stays shut down."""

REDIS_AWAY = 30.0
"""Seconds Redis stays stopped."""

KILLED_FOR = 2.0
"""Seconds between the SIGKILL and the start of the new process."""

CALM = 10.0
"""Seconds of plain load before the first fault, between two faults, and after the last."""

PLATFORM_AWAY = 5.0
"""Seconds of Telegram's 502s, then as many of its 429s."""

RETRY_PAUSE = 0.5
"""Seconds a page waits before sending a refused message again."""

LATE = 180.0
"""Seconds a citizen waits for an answer before asking the next question anyway."""

DRAIN = 300.0
"""Seconds the run waits, once the citizens stop, for every message to be answered."""

LEASE = "15"
"""``MOTCUA_INBOX_LEASE_SECONDS``: a reply sent as the database goes away is marked sent when
it is back; two thirds of the claim (renewed every third) must outlast the cut, or the claim
may run out and another worker send the reply again (Telegram takes no idempotency key)."""

TELEGRAM_IDS = 7_400_000
"""The first simulated Telegram user's id."""

FAILURE_LINES: Mapping[str, str] = {
    "redis": r"Redis unavailable",
    "redis back": r"Redis answers again",
    "database": r"database unavailable|inbox claim failed|lease renewal failed",
    "telegram 5xx": r"TemporaryFailure|Bad Gateway",
    "telegram 429": r"RateLimited|Too Many Requests|retry after",
}
"""What a worker's log says about each failure (patterns, counted per line)."""


@dataclass
class Citizen:
    """One simulated citizen: what they wrote, how long each answer took, what they got."""

    channel: str
    user: str = ""
    sent: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    received: list[str] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    late: int = 0


@dataclass
class FaultRun:
    """What the citizens saw, what the database logged, and what the workers said."""

    citizens: list[Citizen]
    turns: dict[tuple[str, str], list[str]]
    """(channel, user) -> the texts of their messages' turns, in the log's order."""
    replies: dict[tuple[str, str], list[str]]
    """(channel, user) -> motcua's logged replies, in order."""
    unanswered: int
    """Turns that the log shows no reply to."""
    refused: Counter[str]
    """Web chat requests refused or dropped and sent again, by kind."""
    metrics: dict[tuple[str, frozenset[tuple[str, str]]], float]
    """The workers' ``/metrics`` samples at the end, summed over the workers."""
    logs: list[str]
    timeline: list[tuple[float, str]]
    wall: float

    def _pairs(self) -> list[tuple[Citizen, list[str]]]:
        return [(c, self.turns.get((c.channel, c.user), [])) for c in self.citizens]

    @property
    def messages(self) -> int:
        """Messages the citizens sent."""
        return sum(len(c.sent) for c in self.citizens)

    @property
    def lost(self) -> int:
        """Messages sent whose turn never ran."""
        return sum((Counter(c.sent) - Counter(turns)).total() for c, turns in self._pairs())

    @property
    def doubled(self) -> int:
        """Turns beyond one a message."""
        return sum((Counter(turns) - Counter(c.sent)).total() for c, turns in self._pairs())

    @property
    def out_of_order(self) -> int:
        """Citizens whose turns ran in another order than they wrote."""
        return sum(
            1 for c, turns in self._pairs() if Counter(turns) == Counter(c.sent) and turns != c.sent
        )

    @property
    def replies_wrong(self) -> list[str]:
        """Telegram citizens who did not receive each logged reply exactly once, in order.

        Compared as one text without white space, so a long reply Telegram gets in several
        messages still matches; a missing, repeated or swapped reply does not.
        """
        return [
            c.user
            for c in self.citizens
            if c.channel == "telegram"
            and _joined(c.received) != _joined(self.replies.get((c.channel, c.user), []))
        ]

    @property
    def late(self) -> int:
        """Answers not there within :data:`LATE` seconds (the citizen asked on meanwhile)."""
        return sum(c.late for c in self.citizens)

    def metric(self, name: str, **labels: str) -> float:
        """A summed ``/metrics`` sample, 0 when no worker has it."""
        return self.metrics.get((name, frozenset(labels.items())), 0.0)

    def log_lines(self, kind: str) -> int:
        """Lines of the workers' logs about one failure kind of :data:`FAILURE_LINES`."""
        pattern = re.compile(FAILURE_LINES[kind])
        return sum(1 for log in self.logs for line in log.splitlines() if pattern.search(line))

    def personal_data_in_logs(self) -> list[str]:
        """Citizens' ids and long texts that some log line carries (none expected)."""
        secrets = {c.user for c in self.citizens} | {
            said for c in self.citizens for said in c.sent if len(said) >= 8
        }
        return sorted(s for s in secrets if any(s in log for log in self.logs))

    def latency(self, channel: str, p: int) -> float:
        """The ``p``-th percentile of one channel's reply latency, in milliseconds."""
        times = [t for c in self.citizens if c.channel == channel for t in c.latencies]
        if len(times) < 2:
            return 1000 * (times[0] if times else 0.0)
        return 1000 * statistics.quantiles(times, n=100, method="inclusive")[p - 1]


def _read(paths: Iterable[Path]) -> list[str]:
    return [path.read_text() for path in paths]


def _joined(texts: Sequence[str]) -> str:
    return re.sub(r"\s+", "", "".join(texts))


class Deployment:
    """Two workers, the backends of their own that the run stops and starts, and the fake
    Telegram."""

    def __init__(
        self,
        workers: list[ServerProcess],
        database: str,
        postgres: PostgresServer,
        redis: RedisServer,
        telegram: FakeTelegram,
    ) -> None:
        self.workers = workers
        self.database = database
        self.postgres = postgres
        self.redis = redis
        self.telegram = telegram
        self.began = time.monotonic()
        self.timeline: list[tuple[float, str]] = []

    def note(self, event: str) -> None:
        """Keep ``event`` on the run's timeline."""
        self.timeline.append((time.monotonic() - self.began, event))

    async def hurt(self, telegram_citizens: int) -> None:
        """The faults, one after the other, each followed by :data:`CALM` seconds of load."""
        await asyncio.sleep(CALM)
        self.note("worker 0 killed (SIGKILL)")
        await self.workers[0].kill()
        await asyncio.sleep(KILLED_FOR)
        await self.workers[0].start(within=300)
        self.note("worker 0 started again and healthy")
        await asyncio.sleep(CALM)
        self.note("PostgreSQL shut down")
        await self.postgres.stop()
        await asyncio.sleep(DATABASE_AWAY)
        await self.postgres.start()
        self.note("PostgreSQL started again")
        await asyncio.sleep(CALM)
        self.note("Redis stopped")
        await self.redis.stop()
        await asyncio.sleep(REDIS_AWAY)
        await self.redis.start()
        self.note("Redis started again")
        await asyncio.sleep(CALM)
        refusals = max(20, telegram_citizens)
        self.note(f"Telegram answers 502 to the next {refusals} sends")
        self.telegram.fail("sendMessage", 502, "Bad Gateway", times=refusals)
        await asyncio.sleep(PLATFORM_AWAY)
        self.note(f"Telegram answers 429 to the next {2 * refusals} sends")
        self.telegram.flood(retry_after=1, times=2 * refusals)
        await asyncio.sleep(PLATFORM_AWAY + CALM)
        self.note("faults over")

    async def message_log(
        self,
    ) -> tuple[dict[tuple[str, str], list[str]], dict[tuple[str, str], list[str]], int]:
        """Per (channel, user): the turns' texts and the replies, in order; unanswered turns."""
        turns: dict[tuple[str, str], list[str]] = {}
        replies: dict[tuple[str, str], list[str]] = {}
        last: dict[tuple[str, str], str] = {}
        unanswered = 0
        engine = create_async_engine(self.database)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT channel, user_id, direction, text FROM message_log ORDER BY id")
                )
                for channel, user, direction, said in rows:
                    key = (channel, user)
                    if direction == "in":
                        unanswered += last.get(key) == "in"
                        turns.setdefault(key, []).append(said)
                    else:
                        replies.setdefault(key, []).append(said or "")
                    last[key] = direction
        finally:
            await engine.dispose()
        unanswered += sum(1 for direction in last.values() if direction == "in")
        return turns, replies, unanswered

    async def metrics(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """Every worker's ``/metrics`` samples, summed over the workers."""
        summed: Counter[tuple[str, frozenset[tuple[str, str]]]] = Counter()
        async with aiohttp.ClientSession() as http:
            for worker in self.workers:
                async with http.get(worker.url + "/metrics") as response:
                    exposition = await response.text()
                for family in text_string_to_metric_families(exposition):
                    for sample in family.samples:
                        summed[(sample.name, frozenset(sample.labels.items()))] += sample.value
        return dict(summed)


@contextlib.asynccontextmanager
async def deployment(folder: Path, env: Mapping[str, str]) -> AsyncIterator[Deployment]:
    """Two started workers on a PostgreSQL and a Redis of their own, and the fake Telegram
    reaching them through a balancer."""
    async with postgres_server() as postgres, FakeTelegram(backoff_factor=0.5) as telegram:
        database = postgres.url  # the whole server is the run's, thrown away afterwards
        await _upgrade({**os.environ, **env, "MOTCUA_DATABASE_URL": database})
        redis = RedisServer(folder / "redis.log")
        await redis.start()
        ports = [free_port(), free_port()]
        try:
            async with balancer([f"http://127.0.0.1:{port}" for port in ports]) as front:
                shared = {
                    **UNLIMITED,
                    **UNLIMITED_SENDS,
                    "MOTCUA_TELEGRAM_TOKEN": TOKEN,
                    "MOTCUA_TELEGRAM_API_URL": telegram.url,
                    "MOTCUA_PUBLIC_URL": front,
                    "MOTCUA_DATABASE_URL": database,
                    "MOTCUA_REDIS_URL": redis.url,
                    "MOTCUA_INBOX_LEASE_SECONDS": LEASE,
                    **env,
                }
                workers = [
                    ServerProcess(
                        {**shared, "MOTCUA_DATA_DIR": str(folder / f"worker-{n}")},
                        folder / f"worker-{n}.log",
                        port,
                    )
                    for n, port in enumerate(ports)
                ]
                try:
                    started = await asyncio.gather(
                        *(worker.start(within=300) for worker in workers), return_exceptions=True
                    )
                    for outcome in started:
                        if isinstance(outcome, BaseException):
                            raise outcome
                    await telegram.wait_for(lambda: telegram.webhook is not None, within=60)
                    yield Deployment(workers, database, postgres, redis, telegram)
                finally:
                    await asyncio.gather(*(worker.stop() for worker in workers))
        finally:
            await redis.stop()


class WebPage:
    """A citizen's web chat page behind a load balancer that sends a failed request again."""

    def __init__(self, deployment: Deployment, first: int, refused: Counter[str]) -> None:
        self._deployment = deployment
        self._first = first
        self._refused = refused
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=60)
        )

    async def request(self, method: str, path: str, **options: Any) -> tuple[int, Any]:
        """Send until a worker answers below 500 (and not 429); its status and JSON body."""
        workers = self._deployment.workers
        attempt = 0
        while True:
            url = workers[(self._first + attempt) % len(workers)].url
            attempt += 1
            try:
                async with self.session.request(method, url + path, **options) as response:
                    status = response.status
                    body = await response.json() if response.content_type.endswith("json") else None
            except (aiohttp.ClientError, TimeoutError) as error:
                self._refused[type(error).__name__] += 1
            else:
                if status < 500 and status != 429:
                    return status, body
                self._refused[f"HTTP {status}"] += 1
            await asyncio.sleep(RETRY_PAUSE)

    def user(self) -> str:
        """The identity the server gave this page (its cookie's value before the signature)."""
        for cookie in self.session.cookie_jar:
            if cookie.key == COOKIE:
                return cookie.value.partition(".")[0]
        raise AssertionError("no identity cookie")


async def web_citizen(
    citizen: Citizen, page: WebPage, index: int, ask: Callable[[], Awaitable[bool]]
) -> None:
    """Load the page, then ask until ``ask`` says stop; an answer kept for later (202) is
    waited for in the history, as the page polls it."""
    await page.request("GET", "/")
    citizen.user = page.user()
    while await ask():
        said = QUESTIONS[(index + len(citizen.sent)) % len(QUESTIONS)]
        message_id = f"m{len(citizen.sent)}"
        citizen.sent.append(said)
        begun = time.monotonic()
        status, _body = await page.request(
            "POST", "/api/chat", json={"text": said, "id": message_id}
        )
        if status == 202 and not await _in_history(page, said):
            citizen.late += 1
            continue
        citizen.latencies.append(time.monotonic() - begun)


async def _in_history(page: WebPage, said: str) -> bool:
    """Whether the history shows ``said`` answered within :data:`LATE` seconds."""
    ends = time.monotonic() + LATE
    while time.monotonic() < ends:
        await asyncio.sleep(RETRY_PAUSE)
        _status, body = await page.request("GET", "/api/history")
        entries = body["entries"] if body else []
        if answered_last(entries, said):
            return True
    return False


async def telegram_citizen(
    citizen: Citizen, telegram: FakeTelegram, index: int, ask: Callable[[], Awaitable[bool]]
) -> None:
    """Write on Telegram until ``ask`` says stop, each time waiting for the first reply."""
    user = telegram.user(int(citizen.user))
    while await ask():
        said = QUESTIONS[(index + len(citizen.sent)) % len(QUESTIONS)]
        citizen.sent.append(said)
        before = len(citizen.received)
        citizen.arrived.clear()
        begun = time.monotonic()
        user.send(said)
        try:
            async with asyncio.timeout(LATE):
                while len(citizen.received) == before:
                    await citizen.arrived.wait()
                    citizen.arrived.clear()
        except TimeoutError:
            citizen.late += 1
            continue
        citizen.latencies.append(time.monotonic() - begun)


async def deliver_to_citizens(telegram: FakeTelegram, citizens: Mapping[int, Citizen]) -> None:
    """Hand what the fake received to each Telegram citizen as it arrives (one reader for all,
    rather than every citizen scanning everything sent)."""
    seen = 0
    while True:
        await asyncio.sleep(0.02)
        for message in telegram.sent[seen:]:
            citizen = citizens.get(message.chat_id)
            if citizen is not None:
                citizen.received.append(message.text)
                citizen.arrived.set()
        seen = len(telegram.sent)


async def run_with_faults(
    folder: Path,
    *,
    users: int,
    duration: float,
    think: float,
    env: Mapping[str, str] | None = None,
) -> FaultRun:
    """``users`` citizens (half web chat, half Telegram) writing for ``duration`` seconds, or
    until the faults are over, while :meth:`Deployment.hurt` runs; then the checks' material."""
    rng = random.Random(users)
    refused: Counter[str] = Counter()
    web = [Citizen("web") for _ in range(users - users // 2)]
    telegram_citizens = [Citizen("telegram", str(TELEGRAM_IDS + n)) for n in range(users // 2)]
    async with deployment(folder, env or {}) as deployed:
        faults_over = asyncio.Event()
        ends = time.monotonic() + duration

        async def ask() -> bool:
            """Pause as a person does (the first question too, so not all come at once);
            whether to ask again."""
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))
            return time.monotonic() < ends or not faults_over.is_set()

        async def hurt() -> None:
            await deployed.hurt(len(telegram_citizens))
            faults_over.set()

        by_chat = {int(c.user): c for c in telegram_citizens}
        reader = asyncio.create_task(deliver_to_citizens(deployed.telegram, by_chat))
        pages = [WebPage(deployed, n, refused) for n in range(len(web))]
        began = time.monotonic()
        deployed.began = began
        try:
            await asyncio.gather(
                hurt(),
                *(
                    web_citizen(c, page, n, ask)
                    for n, (c, page) in enumerate(zip(web, pages, strict=True))
                ),
                *(
                    telegram_citizen(c, deployed.telegram, n, ask)
                    for n, c in enumerate(telegram_citizens)
                ),
            )
            deployed.note("citizens stopped writing")

            async def all_answered() -> bool:
                return await open_messages(deployed.database) == 0

            await eventually(all_answered, within=DRAIN)
            await asyncio.sleep(2)  # time for a wrong second send to show
            deployed.note("every message answered")
        except TimeoutError:
            deployed.note(f"messages still open after {DRAIN:.0f} s")
        finally:
            reader.cancel()
            await asyncio.gather(*(page.session.close() for page in pages))
        wall = time.monotonic() - began
        turns, replies, unanswered = await deployed.message_log()
        metrics = await deployed.metrics()
        timeline = deployed.timeline
    for citizen in telegram_citizens:  # all that arrived, after the reader's last look too
        citizen.received = []
    for message in deployed.telegram.sent:
        by_chat[message.chat_id].received.append(message.text)
    logs = _read(worker.log_path for worker in deployed.workers)
    return FaultRun(
        web + telegram_citizens,
        turns,
        replies,
        unanswered,
        refused,
        metrics,
        logs,
        timeline,
        wall,
    )


def report(run: FaultRun) -> str:
    """The printed summary: the timeline, the checks, the latency, metrics and log lines."""
    lines = ["timeline:"]
    lines += [f"  {at:>6.1f} s  {event}" for at, event in run.timeline]
    lines += [
        f"citizens: {len(run.citizens)} ({sum(c.channel == 'web' for c in run.citizens)} web "
        f"chat, {sum(c.channel == 'telegram' for c in run.citizens)} Telegram), "
        f"messages: {run.messages}, run: {run.wall:.0f} s",
        f"lost: {run.lost}  doubled: {run.doubled}  out of order: {run.out_of_order}  "
        f"unanswered: {run.unanswered}  Telegram replies not exactly once in order: "
        f"{len(run.replies_wrong)}  answers later than {LATE:.0f} s: {run.late}",
        f"{'channel':<9} {'answers':>8} {'p50 ms':>9} {'p99 ms':>9}",
    ]
    for channel in ("web", "telegram"):
        answers = sum(len(c.latencies) for c in run.citizens if c.channel == channel)
        lines.append(
            f"{channel:<9} {answers:>8} {run.latency(channel, 50):>9.1f} "
            f"{run.latency(channel, 99):>9.1f}"
        )
    refused = ", ".join(f"{kind} {count}" for kind, count in sorted(run.refused.items()))
    lines.append(f"web chat requests refused and sent again: {refused or 'none'}")
    lines.append("workers' /metrics (summed; a killed worker's counts die with it):")
    for name, labels in (
        ("motcua_backend_errors_total", {"backend": "redis"}),
        ("motcua_backend_errors_total", {"backend": "database"}),
        ("motcua_send_errors_total", {"channel": "telegram", "kind": "TemporaryFailure"}),
        ("motcua_send_errors_total", {"channel": "telegram", "kind": "RateLimited"}),
        ("motcua_backend_degraded", {"backend": "redis"}),
    ):
        shown = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"  {name}{{{shown}}} {run.metric(name, **labels):.0f}")
    lines.append("workers' log lines:")
    lines += [f"  {kind}: {run.log_lines(kind)}" for kind in FAILURE_LINES]
    named = run.personal_data_in_logs()
    lines.append(f"citizens' ids or texts in the logs: {len(named)}")
    return "\n".join(lines)


async def main(args: argparse.Namespace) -> None:
    """``python -m bench.load --faults``: one run at the first ``--users`` count."""
    if not postgres_server_available():
        raise SystemExit("PostgreSQL's pg_ctl is needed: the run starts and stops a server")
    with TemporaryDirectory(prefix="motcua-faults-") as folder:
        run = await run_with_faults(
            Path(folder),
            users=args.users[0],
            duration=args.duration or 0.0,
            think=args.think,
        )
    print("web chat and Telegram under load and faults: 2 workers, PostgreSQL + Redis")
    print(report(run))
