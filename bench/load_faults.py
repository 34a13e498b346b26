"""Citizens keep writing while the deployment is hurt; afterwards nothing is lost or doubled.

``python -m bench.load --faults`` starts ``compose.yaml``'s workers (as ``bench.topology``
does): two real ``motcua serve`` web workers and one ``motcua worker`` sender, on a PostgreSQL
server and a ``redis-server`` of its own (``tests/support``), and the fake Telegram Bot API,
whose webhook reaches the web workers through a round-robin balancer that skips a dead one.
Half the citizens write on the web chat: a page posts to its worker and, when the request fails
(refused, dropped, 5xx), sends the same message (same id) again to the other worker after a
moment, as the page and a load balancer do. The other half write on Telegram. Each asks, waits
for the answer, pauses about ``--think`` seconds and asks again, for
``--duration`` seconds (at least until the faults are over), while in turn:

1. one web worker is killed with SIGKILL and started again a moment later;
2. PostgreSQL is shut down (fast mode, as an administrator's restart: every open session is
   ended) and started again :data:`DATABASE_AWAY` seconds later;
3. Redis is stopped for :data:`REDIS_AWAY` seconds, then started again, empty;
4. Telegram answers ``sendMessage`` with 502, then with 429, for a while.

The faults are spread over ``--duration``, each after the same stretch of plain load, so each
phase (a fault and the calm after it) has its own latency. Every process's ``/metrics`` is
scraped every :data:`SCRAPE_EVERY` seconds meanwhile and read as Prometheus's ``increase()``
reads it (``bench.scrapes``): a killed worker's counts until its last scrape stay in the totals,
its next life's are added, and its restart shows.

Then it waits until every message has been answered and checks, from the message log and what
the fake received: each citizen's messages took exactly one turn each, in order; each turn was
answered; each Telegram citizen received every logged reply exactly once, in order, but for a
reply the killed worker had sent and not yet marked done, sent once more when its claim runs out
(:attr:`FaultRun.resent_after_kill`, counted apart). It prints
that, the reply latency and the refused requests of each phase, the failures each phase added
to the processes' ``/metrics``, the totals, the processes' memory, the lines the workers
logged about the failures, and whether a log line names a citizen or quotes what they wrote.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import re
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench.load import HISTORY_POLL, answered_last, percentile
from bench.scrapes import Scrapes, scraping, series
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
"""Seconds of plain load, at least, before the first fault, between two faults, and after the
last; a longer ``--duration`` is shared out evenly among these stretches."""

PLATFORM_AWAY = 5.0
"""Seconds of Telegram's 502s, then as many of its 429s (as many refusals as sends are
expected in that while)."""

FAULTS_TAKE = KILLED_FOR + DATABASE_AWAY + REDIS_AWAY + 2 * PLATFORM_AWAY
"""Seconds the faults themselves last, the killed worker's start aside."""

STRETCHES = 5
"""Stretches of plain load: before the first fault, between the four, after the last."""

RETRY_PAUSE = 0.5
"""Seconds a page waits before sending a refused message again."""

LATE = 180.0
"""Seconds a citizen waits for an answer before asking the next question anyway."""

DRAIN = 300.0
"""Seconds the run waits, once the citizens stop, for every message to be answered."""

SCRAPE_EVERY = 1.0
"""Seconds between two scrapes of every process's ``/metrics``: what a killed worker counted
since its last scrape is lost to the totals, as it is to Prometheus (which scrapes every 15 s
by default); a second keeps that small."""

LEASE = "30"
"""``MOTCUA_INBOX_LEASE_SECONDS``: a claim held across PostgreSQL's restart must outlast it, or
another worker takes the message over and sends its reply again (Telegram takes no
idempotency key). A claim renewed just before the shutdown outlasts two thirds of the lease
less the half second between renewals that failed (``bot/inbox.py``, ``_renew``): with 15 s
that is 9.5 s, too close to the restart's (8 s away, some 9 s with the shutdown and the
start); with 30 s, 19.5 s. A killed worker's messages wait this long for another worker."""

IN_FLIGHT = 1.0
"""Seconds either side of the SIGKILL within which a Telegram citizen's copy of a reply counts
as received from the killed worker as it died (noted by the mailroom within 20 ms, later when
this process lags): its done mark may not have committed, and the reply is then sent once
more when the dead worker's claim runs out (README, Reliability)."""

TELEGRAM_IDS = 7_400_000
"""The first simulated Telegram user's id."""

KILLED = "worker 0"
"""The process the run kills: the first web worker."""

KILLED_PHASE = f"{KILLED} killed (SIGKILL)"

FAILURE_LINES: Mapping[str, str] = {
    "redis": r"Redis unavailable",
    "redis back": r"Redis answers again",
    "database": r"database unavailable|inbox claim failed|lease renewal failed",
    "telegram 5xx": r"TemporaryFailure|Bad Gateway",
    "telegram 429": r"RateLimited|Too Many Requests|retry after|Rate limit hit",
}
"""What a worker's log says about each failure (patterns, counted per line)."""

FAILURE_METRICS = (
    "motcua_send_errors_total",
    "motcua_backend_errors_total",
    "motcua_rate_limit_waits_total",
    "restarts",
)
"""The counters that tell of a failure (``restarts``: of a process, from its start time)."""


RSS = series("process_resident_memory_bytes")
"""Every process's resident memory, summed by the scrapes."""


@dataclass
class Citizen:
    """One simulated citizen: what they wrote, how long each answer took, what they got."""

    channel: str
    user: str = ""
    sent: list[str] = field(default_factory=list)
    answers: list[tuple[float, float]] = field(default_factory=list)
    """(when asked, on the monotonic clock; seconds until the answer)."""
    received: list[str] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)
    """When each received message was seen (monotonic clock)."""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    late: list[float] = field(default_factory=list)
    """When each question was asked whose answer was not there within :data:`LATE` s."""


@dataclass(frozen=True)
class Phase:
    """A fault and the calm after it (or the calm before the first): from ``begin`` until the
    next phase, on the monotonic clock."""

    name: str
    begin: float
    end: float


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
    refusals: list[tuple[float, str]]
    """Web chat requests refused or dropped and sent again: when, and the kind."""
    scrapes: Scrapes
    """Every process's ``/metrics`` through the run."""
    logs: list[str]
    timeline: list[tuple[float, str]]
    phases: list[Phase]
    began: float
    wall: float
    lease: float
    """The workers' ``MOTCUA_INBOX_LEASE_SECONDS``: how long a killed worker's claim lasts."""

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
        """Telegram citizens who did not receive each logged reply exactly once, in order,
        besides the copy :attr:`resent_after_kill` allows.

        Compared as one text without white space, so a long reply Telegram gets in several
        messages still matches; a missing, repeated or swapped reply does not.
        """
        return [
            c.user
            for c in self.citizens
            if c.channel == "telegram"
            and _joined(c.received) != _joined(self._logged(c))
            and self._resent_from(c) is None
        ]

    @property
    def resent_after_kill(self) -> list[str]:
        """Telegram citizens who received a reply twice because the killed worker died between
        Telegram's acceptance of it and the commit of its done mark: Telegram takes no
        idempotency key, so the worker that takes the row over when the dead claim runs out
        sends the row's replies again (README, Reliability: delivered at least once).

        Only that case counts: the dead worker's copy is one message (the one in flight: each
        earlier message of the row had its acceptance recorded before the next was sent), it
        arrived within :data:`IN_FLIGHT` s of the SIGKILL; the same message comes again as the
        very next one that citizen got (their later messages wait behind the open row), no
        sooner than the dead claim could run out (two thirds of the lease after the kill, as it
        was renewed every third, less :data:`IN_FLIGHT` for a renewal the worker's busy loop
        ran late); and without the dead worker's copy the citizen got every logged reply
        exactly once, in order.
        """
        return [
            c.user
            for c in self.citizens
            if c.channel == "telegram" and self._resent_from(c) is not None
        ]

    def _logged(self, citizen: Citizen) -> list[str]:
        return self.replies.get((citizen.channel, citizen.user), [])

    def _resent_from(self, citizen: Citizen) -> int | None:
        """Where the killed worker's message in flight comes again in what the citizen received,
        if the received messages differ from the logged replies by that one copy alone."""
        killed = next((p.begin for p in self.phases if p.name == KILLED_PHASE), None)
        received, at = citizen.received, citizen.received_at
        wanted = _joined(self._logged(citizen))
        if killed is None or _joined(received) == wanted:
            return None
        for again in range(1, len(received)):
            if abs(at[again - 1] - killed) > IN_FLIGHT:
                continue
            if at[again] < killed + self.lease * 2 / 3 - IN_FLIGHT:
                continue
            if received[again] == received[again - 1] and (
                _joined(received[: again - 1] + received[again:]) == wanted
            ):
                return again
        return None

    def mismatch(self, user: str) -> str:
        """How one Telegram citizen's received messages differ from the logged replies."""
        citizen = next(c for c in self.citizens if c.user == user)
        received, logged = citizen.received, self._logged(citizen)
        got, wanted = _joined(received), _joined(logged)
        at = next(
            (n for n, (a, b) in enumerate(zip(got, wanted, strict=False)) if a != b),
            min(len(got), len(wanted)),
        )
        message = next(
            (n for n in range(len(received)) if len(_joined(received[: n + 1])) > at),
            len(received),
        )
        repeated = [
            n
            for n in range(1, len(received))
            if received[n] in received[:n] and len(received[n]) > 20
        ]
        when = ", ".join(
            f"{n + 1} at {citizen.received_at[n] - self.began:.1f} s" for n in repeated
        )
        return (
            f"{user}: {len(received)} messages received ({len(got)} characters) for "
            f"{len(logged)} logged replies ({len(wanted)}); they part at received message "
            f"{message + 1}; received again later: {when or 'none'}"
        )

    @property
    def late(self) -> int:
        """Answers not there within :data:`LATE` seconds (the citizen asked on meanwhile)."""
        return sum(len(c.late) for c in self.citizens)

    @property
    def refused(self) -> Counter[str]:
        """Web chat requests refused or dropped and sent again, by kind."""
        return Counter(kind for _at, kind in self.refusals)

    def phase(self, name: str) -> Phase:
        """The phase called ``name``."""
        return next(phase for phase in self.phases if phase.name == name)

    def failures(self, phase: Phase) -> dict[str, float]:
        """The failure counters' increases over ``phase``, each as ``name{labels}``: between
        the last scrapes before it began and before it ended. A count shows at the next scrape,
        so one made in the last second before the phase may show in it, but none made after
        it (the next fault's)."""
        grown = self.scrapes.increases(phase.begin, phase.end)
        return {
            _shown(name, labels): value
            for (name, labels), value in sorted(grown.items(), key=lambda item: str(item[0]))
            if name in FAILURE_METRICS
        }

    def log_lines(self, kind: str) -> int:
        """Lines of the workers' logs about one failure kind of :data:`FAILURE_LINES`."""
        pattern = re.compile(FAILURE_LINES[kind])
        return sum(1 for log in self.logs for line in log.splitlines() if pattern.search(line))

    def personal_data_in_logs(self) -> list[str]:
        """Citizens' ids and long texts that some log line carries (none expected).

        An id counts as a whole word only: among a long run's tens of thousands of request
        ids (32 hex digits each) some contain a seven-digit Telegram id by chance.
        """
        words = {word for log in self.logs for word in re.findall(r"[\w-]+", log)}
        named = {c.user for c in self.citizens if c.user in words}
        quoted = {
            said
            for said in {said for c in self.citizens for said in c.sent if len(said) >= 8}
            if any(said in log for log in self.logs)
        }
        return sorted(named | quoted)

    def latencies(self, channel: str | None = None, phase: Phase | None = None) -> list[float]:
        """Seconds to each answer, of one channel or all, asked in ``phase`` or ever."""
        return [
            seconds
            for c in self.citizens
            if channel in (None, c.channel)
            for asked, seconds in c.answers
            if phase is None or phase.begin <= asked < phase.end
        ]


def _shown(name: str, labels: Iterable[tuple[str, str]]) -> str:
    shown = ",".join(f'{key}="{value}"' for key, value in sorted(labels))
    return f"{name}{{{shown}}}"


def _read(paths: Iterable[Path]) -> list[str]:
    return [path.read_text() for path in paths]


def _joined(texts: Sequence[str]) -> str:
    return re.sub(r"\s+", "", "".join(texts))


class Deployment:
    """Two web workers and a sender, the backends of their own that the run stops and starts,
    and the fake Telegram."""

    def __init__(
        self,
        processes: dict[str, ServerProcess],
        database: str,
        postgres: PostgresServer,
        redis: RedisServer,
        telegram: FakeTelegram,
    ) -> None:
        self.processes = processes
        """Every motcua process by name: ``worker 0``, ``worker 1`` (web), ``sender``."""
        self.workers = [process for name, process in processes.items() if name != "sender"]
        """The web workers, which the pages and the balancer reach."""
        self.database = database
        self.postgres = postgres
        self.redis = redis
        self.telegram = telegram
        self.began = time.monotonic()
        self.timeline: list[tuple[float, str]] = []
        self.phases: list[tuple[float, str]] = []
        """When each phase began (monotonic clock), and its name."""

    def start(self) -> float:
        """The run begins now, with the phase before the faults; when, on the monotonic clock."""
        self.began = time.monotonic()
        self.phases = [(self.began, "before the faults")]
        return self.began

    def note(self, event: str) -> None:
        """Keep ``event`` on the run's timeline."""
        self.timeline.append((time.monotonic() - self.began, event))

    def begin(self, phase: str, detail: str = "") -> None:
        """A fault begins: a phase of its own, on the timeline too (with ``detail``)."""
        self.phases.append((time.monotonic(), phase))
        self.note(f"{phase} {detail}".strip())

    async def hurt(self, calm: float, refusals: int) -> None:
        """The faults, one after the other, each followed by ``calm`` seconds of load; Telegram
        refuses ``refusals`` sends with 502, then twice as many with 429."""
        await asyncio.sleep(calm)
        self.begin(KILLED_PHASE)
        await self.processes[KILLED].kill()
        await asyncio.sleep(KILLED_FOR)
        await self.processes[KILLED].start(within=300)
        self.note(f"{KILLED} started again and healthy")
        await asyncio.sleep(calm)
        self.begin("PostgreSQL shut down")
        await self.postgres.stop()
        await asyncio.sleep(DATABASE_AWAY)
        await self.postgres.start()
        self.note("PostgreSQL started again")
        await asyncio.sleep(calm)
        self.begin("Redis stopped")
        await self.redis.stop()
        await asyncio.sleep(REDIS_AWAY)
        await self.redis.start()
        self.note("Redis started again")
        await asyncio.sleep(calm)
        self.begin("Telegram answers 502", f"to the next {refusals} sends")
        self.telegram.fail("sendMessage", 502, "Bad Gateway", times=refusals)
        await asyncio.sleep(PLATFORM_AWAY)
        self.begin("Telegram answers 429", f"to the next {2 * refusals} sends")
        self.telegram.flood(retry_after=1, times=2 * refusals)
        await asyncio.sleep(PLATFORM_AWAY + calm)
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


@contextlib.asynccontextmanager
async def deployment(folder: Path, env: Mapping[str, str]) -> AsyncIterator[Deployment]:
    """Two started web workers and a sender on a PostgreSQL and a Redis of their own, and the
    fake Telegram reaching the web workers through a balancer."""
    async with postgres_server() as postgres, FakeTelegram(backoff_factor=0.5) as telegram:
        database = postgres.url  # the whole server is the run's, thrown away afterwards
        await _upgrade({**os.environ, **env, "MOTCUA_DATABASE_URL": database})
        redis = RedisServer(folder / "redis.log")
        await redis.start()
        ports = {"worker 0": free_port(), "worker 1": free_port(), "sender": free_port()}
        web = [f"http://127.0.0.1:{port}" for name, port in ports.items() if name != "sender"]
        try:
            async with balancer(web) as front:
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
                processes = {
                    name: ServerProcess(
                        {**shared, "MOTCUA_DATA_DIR": str(folder / name.replace(" ", "-"))},
                        folder / f"{name.replace(' ', '-')}.log",
                        port,
                        command="worker" if name == "sender" else "serve",
                    )
                    for name, port in ports.items()
                }
                try:
                    started = await asyncio.gather(
                        *(process.start(within=300) for process in processes.values()),
                        return_exceptions=True,
                    )
                    for outcome in started:
                        if isinstance(outcome, BaseException):
                            raise outcome
                    await telegram.wait_for(lambda: telegram.webhook is not None, within=60)
                    yield Deployment(processes, database, postgres, redis, telegram)
                finally:
                    await asyncio.gather(*(process.stop() for process in processes.values()))
        finally:
            await redis.stop()


class WebPage:
    """A citizen's web chat page behind a load balancer that sends a failed request again."""

    def __init__(
        self, deployment: Deployment, first: int, refusals: list[tuple[float, str]]
    ) -> None:
        self._deployment = deployment
        self._first = first
        self._refusals = refusals
        self.session = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), timeout=aiohttp.ClientTimeout(total=60)
        )

    async def request(self, method: str, path: str, **options: Any) -> tuple[int, Any]:
        """Send until a worker answers below 500 (and not 429); its status and JSON body, or
        status 0 when none has for :data:`LATE` seconds (so a run whose deployment never
        recovers ends, with the question counted late)."""
        workers = self._deployment.workers
        attempt = 0
        gives_up = time.monotonic() + LATE
        while time.monotonic() < gives_up:
            url = workers[(self._first + attempt) % len(workers)].url
            attempt += 1
            try:
                async with self.session.request(method, url + path, **options) as response:
                    status = response.status
                    body = await response.json() if response.content_type.endswith("json") else None
            except (aiohttp.ClientError, TimeoutError) as error:
                self._refusals.append((time.monotonic(), type(error).__name__))
            else:
                if status < 500 and status != 429:
                    return status, body
                self._refusals.append((time.monotonic(), f"HTTP {status}"))
            await asyncio.sleep(RETRY_PAUSE)
        return 0, None

    def user(self) -> str:
        """The identity the server gave this page (its cookie's value before the signature)."""
        for cookie in self.session.cookie_jar:
            if cookie.key == COOKIE:
                return cookie.value.partition(".")[0]
        raise AssertionError("no identity cookie")


async def web_citizen(
    citizen: Citizen, page: WebPage, index: int, ask: Callable[[bool], Awaitable[bool]]
) -> None:
    """Load the page, then ask until ``ask`` says stop; an answer kept for later (202) is
    waited for in the history, as the page polls it."""
    status, _body = await page.request("GET", "/")
    if status == 0:
        return
    citizen.user = page.user()
    while await ask(not citizen.sent):
        said = QUESTIONS[(index + len(citizen.sent)) % len(QUESTIONS)]
        message_id = f"m{len(citizen.sent)}"
        citizen.sent.append(said)
        begun = time.monotonic()
        status, _body = await page.request(
            "POST", "/api/chat", json={"text": said, "id": message_id}
        )
        if status == 0 or (status == 202 and not await _in_history(page, said)):
            citizen.late.append(begun)
            continue
        citizen.answers.append((begun, time.monotonic() - begun))


async def _in_history(page: WebPage, said: str) -> bool:
    """Whether the history shows ``said`` answered within :data:`LATE` seconds, read as often
    as the page reads it."""
    ends = time.monotonic() + LATE
    while time.monotonic() < ends:
        await asyncio.sleep(HISTORY_POLL)
        _status, body = await page.request("GET", "/api/history")
        entries = body["entries"] if body else []
        if answered_last(entries, said):
            return True
    return False


async def telegram_citizen(
    citizen: Citizen, telegram: FakeTelegram, index: int, ask: Callable[[bool], Awaitable[bool]]
) -> None:
    """Write on Telegram until ``ask`` says stop, each time waiting for the first reply."""
    user = telegram.user(int(citizen.user))
    while await ask(not citizen.sent):
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
            citizen.late.append(begun)
            continue
        citizen.answers.append((begun, time.monotonic() - begun))


class Mailroom:
    """Hands what the fake received to each Telegram citizen as it arrives, with when (one
    reader for all, rather than every citizen scanning everything sent)."""

    def __init__(self, telegram: FakeTelegram, citizens: Mapping[int, Citizen]) -> None:
        self._telegram = telegram
        self._citizens = citizens
        self._seen = 0

    def look(self) -> None:
        """Hand over what arrived since the last look."""
        arrived = self._telegram.sent[self._seen :]
        self._seen += len(arrived)
        now = time.monotonic()
        for message in arrived:
            citizen = self._citizens.get(message.chat_id)
            if citizen is not None:
                citizen.received.append(message.text)
                citizen.received_at.append(now)
                citizen.arrived.set()

    async def keep_looking(self) -> None:
        """Look every 20 ms until cancelled."""
        while True:
            await asyncio.sleep(0.02)
            self.look()


def refusals_for(telegram_citizens: int, think: float) -> int:
    """How many sends Telegram refuses with 502 (and twice as many with 429): about as many as
    the citizens' answers in :data:`PLATFORM_AWAY` seconds, so each refusal lands in its phase
    and each phase has refusals; 20 at least."""
    per_second = telegram_citizens / think if think else telegram_citizens
    return max(20, round(per_second * PLATFORM_AWAY))


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
    refusals: list[tuple[float, str]] = []
    web = [Citizen("web") for _ in range(users - users // 2)]
    telegram_citizens = [Citizen("telegram", str(TELEGRAM_IDS + n)) for n in range(users // 2)]
    calm = max(CALM, (duration - FAULTS_TAKE) / STRETCHES)
    async with deployment(folder, env or {}) as deployed:
        faults_over = asyncio.Event()

        async def ask(first: bool) -> bool:
            """Pause as a person does, the first question coming at any moment within one
            pause (so not all come at once, nor all late); whether to ask (again)."""
            await asyncio.sleep(think * (rng.uniform(0, 1) if first else rng.uniform(0.5, 1.5)))
            return time.monotonic() < ends or not faults_over.is_set()

        async def hurt() -> None:
            await deployed.hurt(calm, refusals_for(len(telegram_citizens), think))
            faults_over.set()

        by_chat = {int(c.user): c for c in telegram_citizens}
        targets = {name: process.url for name, process in deployed.processes.items()}
        mailroom = Mailroom(deployed.telegram, by_chat)
        reader = asyncio.create_task(mailroom.keep_looking())
        pages = [WebPage(deployed, n, refusals) for n in range(len(web))]
        async with scraping(targets, every=SCRAPE_EVERY) as scrapes:
            began = deployed.start()
            ends = began + duration
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
    mailroom.look()  # all that arrived, after the reader's last look too
    logs = _read(process.log_path for process in deployed.processes.values())
    starts = deployed.phases
    phases = [
        Phase(name, begin, end)
        for (begin, name), (end, _next) in zip(
            starts, [*starts[1:], (began + wall, "")], strict=True
        )
    ]
    return FaultRun(
        web + telegram_citizens,
        turns,
        replies,
        unanswered,
        refusals,
        scrapes,
        logs,
        deployed.timeline,
        phases,
        began,
        wall,
        lease=float((env or {}).get("MOTCUA_INBOX_LEASE_SECONDS", LEASE)),
    )


def phase_table(run: FaultRun) -> str:
    """One row a phase: answers, their p50 and p99 (web chat and Telegram together), requests
    refused and answers late, and every process's memory at the phase's end."""
    lines = [
        f"{'phase':<27} {'from s':>7} {'answers':>8} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'refused':>8} {'late':>5} {'RSS MB':>7}"
    ]
    for phase in run.phases:
        times = run.latencies(phase=phase)
        refused = sum(phase.begin <= at < phase.end for at, _kind in run.refusals)
        late = sum(phase.begin <= at < phase.end for c in run.citizens for at in c.late)
        memory = run.scrapes.at(phase.end).gauges.get(RSS, 0.0)
        lines.append(
            f"{phase.name:<27} {phase.begin - run.began:>7.1f} {len(times):>8} "
            f"{percentile(times, 50):>9.1f} {percentile(times, 99):>9.1f} {refused:>8} "
            f"{late:>5} {memory / 2**20:>7.0f}"
        )
    return "\n".join(lines)


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
        f"{len(run.replies_wrong)} (besides {len(run.resent_after_kill)} sent again after "
        f"the SIGKILL)  answers later than {LATE:.0f} s: {run.late}",
        f"{'channel':<9} {'answers':>8} {'p50 ms':>9} {'p99 ms':>9}",
    ]
    for channel in ("web", "telegram"):
        times = run.latencies(channel)
        lines.append(
            f"{channel:<9} {len(times):>8} {percentile(times, 50):>9.1f} "
            f"{percentile(times, 99):>9.1f}"
        )
    lines += [f"  {run.mismatch(user)}" for user in run.replies_wrong[:5]]
    lines += [f"  sent again: {run.mismatch(user)}" for user in run.resent_after_kill[:5]]
    lines.append("by phase (a fault and the calm after it):")
    lines.append(phase_table(run))
    refused = ", ".join(f"{kind} {count}" for kind, count in sorted(run.refused.items()))
    lines.append(f"web chat requests refused and sent again: {refused or 'none'}")
    lines.append(
        f"failures each phase added to the processes' /metrics (scraped every "
        f"{SCRAPE_EVERY:g} s; restarts: process_start_time_seconds changed):"
    )
    for phase in run.phases:
        seen = ", ".join(f"{name} {value:.0f}" for name, value in run.failures(phase).items())
        lines.append(f"  {phase.name}: {seen or 'none'}")
        if phase.name == "Redis stopped":
            peak = run.scrapes.peak(
                "motcua_backend_degraded", phase.begin, phase.end, backend="redis"
            )
            lines.append(f'    motcua_backend_degraded{{backend="redis"}} peak {peak:.0f}')
    messages_in = sum(
        run.scrapes.total("motcua_messages_in_total", channel=channel)
        for channel in ("web", "telegram")
    )
    live = sum(
        run.scrapes.live("motcua_messages_in_total", channel=channel)
        for channel in ("web", "telegram")
    )
    lines.append(
        f"processes' /metrics over the run, across restarts ({run.scrapes.restarts()} seen):"
    )
    lines.append(
        f"  motcua_messages_in_total {messages_in:.0f} of {run.messages} messages "
        f"(the live processes' own counts: {live:.0f})"
    )
    for name, labels in (
        ("motcua_backend_errors_total", {"backend": "redis"}),
        ("motcua_backend_errors_total", {"backend": "database"}),
        ("motcua_send_errors_total", {"channel": "telegram", "kind": "TemporaryFailure"}),
        ("motcua_send_errors_total", {"channel": "telegram", "kind": "RateLimited"}),
        ("motcua_rate_limit_waits_total", {"limit": "telegram_flood"}),
    ):
        lines.append(f"  {_shown(name, labels.items())} {run.scrapes.total(name, **labels):.0f}")
    degraded = run.scrapes.gauge("motcua_backend_degraded", backend="redis")
    lines.append(f'  motcua_backend_degraded{{backend="redis"}} at the end {degraded:.0f}')
    first, last = run.scrapes.history[0], run.scrapes.history[-1]
    lines.append(
        f"resident memory, every process summed: {first.gauges.get(RSS, 0.0) / 2**20:.0f} MB "
        f"at the start, {last.gauges.get(RSS, 0.0) / 2**20:.0f} MB at the end"
    )
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
    print(
        "web chat and Telegram under load and faults: 2 web workers and a sender, "
        "PostgreSQL + Redis"
    )
    print(report(run))
