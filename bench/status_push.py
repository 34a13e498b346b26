"""Status pushes under load, and filing throughput.

First M citizens file a birth registration through the dialogs at once (every tap and answer a
real turn, the filing sent to the portal, the receipt delivered): dossiers a second end to end,
and the process's CPU time a dossier.
Then 50 dossiers change status at once (the reference: a burst that does not queue), then N;
how fast each citizen hears it.

``python -m bench.status_push`` builds the whole application as ``motcua serve`` does (SQLite, or
with ``--database-url`` a scratch database on that PostgreSQL server, created for each run and
dropped after it; the sandbox portal in-process over HTTP, the webhook receiver on a local
port), files N dossiers through the portal, then has the officer move all N at the same moment.
For each dossier it measures the time from the officer's move (the moment the portal has queued
its webhook) to the moment the citizen's channel is handed the message, and counts messages lost
and doubled, and the process's CPU time (the sandbox, the receiver and the workers all run in
it) from the moves to the last message, divided by the dossiers: a measure of the work a status
change costs that does not depend, as the latencies do, on what else the machine is running.
Once it listens, start-up's objects are taken out of the garbage collector's full rounds, as
``motcua serve`` does (``bot.server.settle_start_up``). The background loops start before the
dossiers are filed, so the housekeeping a fresh start runs (old message ids forgotten, expired
personal data purged) is done while they are filed.
The channel is a recording stand-in for a platform with no rate limit of its own:
Telegram's ~30 messages a second per bot would otherwise dominate (1,000 messages take ~33 s
there).

In-process, one core does both the portal's work (moving the dossiers, signing and sending the
webhooks) and motcua's. With ``--portal-apart`` the sandbox runs as a deployment's portal would,
another process (``motcua portal-sandbox`` on a free port with its own data directory, the same
API key and webhook secret given to both sides), motcua reaches it by ``MOTCUA_PORTAL_URL``, and
the officer, a third process, moves the dossiers through the sandbox's HTTP officer route; each
latency starts when that request is answered (the webhook is queued). The CPU times of motcua's
process and of the sandbox's are then reported apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from sqlalchemy import event

from bench.workers import scratch_postgres
from bot.app import App, SystemClock, build_app
from bot.config import Settings
from bot.server import settle_start_up, web_application
from bot.storage.dossiers import SqlDossiers
from bot.storage.schema import ensure_schema
from dialogs.messages import ConversationRef, IncomingMessage, Reply
from dialogs.step import SubmitDossier
from integrations.portal import HttpPortalClient

REQUEST = {
    "procedure_code": "1.001193",
    "applicant": {
        "full_name": "Nguyễn Thị Hoà",
        "id_number": "001190012345",
        "phone": "+84912345678",
        "address": "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    },
    "form": {},
    "delivery": {"method": "pickup"},
}


class RecordingChannel:
    """The web channel's stand-in: records when each citizen is handed a message."""

    name = "web"

    def __init__(self) -> None:
        self.received: dict[str, list[float]] = {}
        self.texts: Counter[str] = Counter()

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Note the time and the text, as a platform receiving the message would."""
        self.received.setdefault(ref.user_id, []).append(time.monotonic())
        for reply in replies:
            self.texts[reply.text.split("\n", 1)[0]] += 1


class Work:
    """The statements and commits the app's database runs: what a dossier costs, whatever the
    machine's load (which the latencies depend on)."""

    def __init__(self, app: App) -> None:
        self.statements = 0
        self.commits = 0
        engine = app.database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, *_args: object) -> None:
        self.statements += 1

    def _commit(self, *_args: object) -> None:
        self.commits += 1


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


Moves = tuple[float, dict[str, float]]
"""When the moves began, and when each dossier's move was answered, by code: on
``time.monotonic()``, the machine's monotonic clock, which every process on it shares."""


@dataclass(frozen=True, slots=True)
class Desk:
    """The portal's officer desk as the benchmark uses it: how dossiers are all moved at once,
    and the CPU seconds the portal's process has used so far (None when the portal runs in this
    process, whose own CPU time then includes it)."""

    move_all: Callable[[Sequence[str]], Awaitable[Moves]]
    portal_cpu: Callable[[], float | None]


async def move_all(move: Callable[[str], Awaitable[object]], codes: Sequence[str]) -> Moves:
    """Move every dossier at the same moment; when each move was answered."""
    started, answered = time.monotonic(), {}

    async def one(code: str) -> None:
        await move(code)
        answered[code] = time.monotonic()

    await asyncio.gather(*(one(code) for code in codes))
    return started, answered


@asynccontextmanager
async def officer_apart(
    url: str, api_key: str
) -> AsyncIterator[Callable[[Sequence[str]], Awaitable[Moves]]]:
    """The officer at a desk of their own: a process, started and connected before anything is
    measured, that moves the dossiers it is given through the portal's HTTP officer route, so
    that neither motcua's CPU time nor the portal's has its requests in it."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.status_push",
        "--officer",
        url,
        env={**os.environ, "MOTCUA_PORTAL_API_KEY": api_key},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )

    async def moves(codes: Sequence[str]) -> Moves:
        out, _ = await process.communicate("\n".join(codes).encode())
        started, answered = json.loads(out)
        return started, answered

    try:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), timeout=60)  # connected, waiting
        yield moves
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def officer(url: str) -> None:
    """The ``--officer`` process: say it is ready, read the codes, move them all at once, print
    the moves as JSON."""
    async with HttpPortalClient(url, os.environ["MOTCUA_PORTAL_API_KEY"]) as client:
        print("ready", flush=True)
        codes = sys.stdin.read().split()
        print(json.dumps(await move_all(lambda code: client.transition(code, "accepted"), codes)))


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) process ``pid`` has used, from ``/proc/<pid>/stat``."""
    # The command name (field 2) may hold spaces; the fields after its closing parenthesis are
    # state, ppid, … with utime and stime the 12th and 13th.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@asynccontextmanager
async def portal_apart(folder: Path) -> AsyncIterator[tuple[dict[str, str], int]]:
    """``motcua portal-sandbox`` in a process of its own on a free port, with its data under
    ``folder``; the settings that point motcua at it, and its process id."""
    settings = {
        "MOTCUA_PORTAL_API_KEY": secrets.token_urlsafe(24),
        "MOTCUA_PORTAL_WEBHOOK_SECRET": secrets.token_urlsafe(24),
    }
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("motcua")),
        "portal-sandbox",
        "--port",
        "0",
        env={**os.environ, **settings, "MOTCUA_DATA_DIR": str(folder)},
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), timeout=60)).decode()
        if not line.startswith("sandbox portal listening on "):
            raise RuntimeError(f"motcua portal-sandbox did not start: {line!r}")
        yield {**settings, "MOTCUA_PORTAL_URL": line.rsplit(" ", 1)[1].strip()}, process.pid
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()


@asynccontextmanager
async def serving(
    database_url: str | None = None, apart: bool = False
) -> AsyncIterator[tuple[App, RecordingChannel, str, Desk]]:
    """The whole app on a fresh database (a SQLite file, or a scratch database on the server
    of ``database_url``) and a local port, its web channel recorded; the sandbox portal in it,
    or with ``apart`` in a process of its own."""
    async with AsyncExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {
            "MOTCUA_DATA_DIR": str(folder),
            "MOTCUA_PUBLIC_URL": url,
            "MOTCUA_PORTAL_SANDBOX_PORT": "0",
        }
        pid = None
        if apart:
            portal, pid = await stack.enter_async_context(
                portal_apart(Path(stack.enter_context(tempfile.TemporaryDirectory())))
            )
            env.update(portal)
        if database_url:
            env["MOTCUA_DATABASE_URL"] = await stack.enter_async_context(
                scratch_postgres(database_url)
            )
        settings = Settings.from_env(env)
        await ensure_schema(settings.database_url)
        app = await stack.enter_async_context(build_app(settings))
        if pid is None:
            sandbox = app.portal.sandbox
            assert sandbox is not None
            desk = Desk(
                lambda codes: move_all(lambda code: sandbox.move(code, "accepted"), codes),
                lambda: None,
            )
        else:
            moves = await stack.enter_async_context(
                officer_apart(app.portal.url, env["MOTCUA_PORTAL_API_KEY"])
            )
            desk = Desk(moves, lambda: process_cpu(pid))
        runner = web.AppRunner(web_application(app), handle_signals=False, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.SockSite(runner, listener).start()
        settle_start_up()  # as `motcua serve` does once it listens
        recorder = RecordingChannel()
        app.channels["web"] = recorder
        yield app, recorder, url, desk


def portal_cpu_ms(desk: Desk, started: float | None, count: int) -> float:
    """The portal process's CPU milliseconds a dossier since ``started`` (NaN in-process)."""
    now = desk.portal_cpu()
    if now is None or started is None:
        return float("nan")
    return 1000 * (now - started) / max(1, count)


async def run(count: int, database_url: str | None = None, apart: bool = False) -> dict[str, float]:
    """File ``count`` dossiers, move them all at once; latency and loss figures."""
    async with serving(database_url, apart) as (app, recorder, url, desk):
        # Started first, so that a fresh start's housekeeping (old message ids forgotten, old
        # personal data purged) runs while the dossiers are filed, not amid the status changes.
        app.start_background()
        clock = SystemClock()
        codes: dict[str, str] = {}
        for n in range(count):
            key = f"bench-{n}"
            answer = await app.portal.client.create_dossier(
                {**REQUEST, "callback_url": f"{url}/webhooks/portal"}, key
            )
            ref = ConversationRef("web", f"citizen-{n:05d}")
            effect = SubmitDossier(key, "1.001193", REQUEST, clock.now().isoformat(), "bench")
            async with app.database.transaction() as session:
                dossiers = SqlDossiers(session)
                await dossiers.queue(ref, effect, "vi", clock.now())
                (queued,) = [d for d in await dossiers.for_ref(ref)]
                await dossiers.filed(queued, answer, clock.now())
            codes[ref.user_id] = answer.code
        work = Work(app)

        cpu_started = time.process_time()
        portal_started = desk.portal_cpu()
        started, answered = await desk.move_all(list(codes.values()))
        moved_at = {user: answered[code] for user, code in codes.items()}
        for _ in range(6000):  # a minute at most
            if len(recorder.received) >= count:
                break
            await asyncio.sleep(0.01)
        cpu = time.process_time() - cpu_started
        portal_cpu = portal_cpu_ms(desk, portal_started, count)
        await asyncio.sleep(1.0)  # anything doubled arrives meanwhile
        finished = max((t for ts in recorder.received.values() for t in ts), default=started)
    latencies = [recorder.received[u][0] - moved_at[u] for u in codes if u in recorder.received]
    return {
        "dossiers": count,
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": 1000 * percentile(latencies, 0.99) if latencies else float("nan"),
        "max_ms": 1000 * max(latencies) if latencies else float("nan"),
        "all_delivered_s": finished - started,
        "lost": count - len(recorder.received),
        "doubled": sum(len(ts) - 1 for ts in recorder.received.values()),
        "statements": work.statements / count,
        "commits": work.commits / count,
        "cpu_ms": 1000 * cpu / count,
        "portal_cpu_ms": portal_cpu,
    }


REFERENCE_BURST = 50
"""Dossiers moved at once for the reference line."""

FILING = (
    ("button", "f:go:1.001193"),
    ("button", "f:ok"),
    ("text", "Nguyễn Thị Hoà"),
    ("text", "001190012345"),
    ("text", "0912 345 678"),
    ("text", "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội"),
    ("button", "f:c:mother"),
    ("text", "Nguyễn Minh Khôi"),
    ("text", "20/11/2026"),
    ("button", "f:c:male"),
    ("text", "Bệnh viện Phụ sản Hà Nội"),
    ("button", "f:skip"),
    ("button", "f:d:pickup"),
    ("button", "f:send"),
)
"""A whole birth registration, as a citizen taps and types it."""


async def filing_rate(
    count: int, database_url: str | None = None, apart: bool = False
) -> dict[str, float]:
    """``count`` citizens file a birth registration at once; dossiers a second, end to end."""
    async with serving(database_url, apart) as (app, recorder, _url, desk):
        app.start_background()

        async def citizen(n: int) -> None:
            ref = ConversationRef("web", f"filer-{n:05d}")
            for kind, value in FILING:
                message = (
                    IncomingMessage(ref, payload=value)
                    if kind == "button"
                    else IncomingMessage(ref, text=value)
                )
                await app.dispatcher.handle(message)

        started = time.perf_counter()
        cpu_started = time.process_time()
        portal_started = desk.portal_cpu()
        await asyncio.gather(*(citizen(n) for n in range(count)))
        for _ in range(6000):  # a minute at most
            if sum(recorder.texts[t] for t in recorder.texts if "Mã hồ sơ" in t) >= count:
                break
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        receipts = sum(recorder.texts[t] for t in recorder.texts if "Mã hồ sơ" in t)
        portal_cpu = portal_cpu_ms(desk, portal_started, receipts)
    return {
        "citizens": count,
        "receipts": receipts,
        "per_second": receipts / elapsed,
        "cpu_ms": 1000 * cpu / max(1, receipts),
        "portal_cpu_ms": portal_cpu,
    }


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print one line of figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.status_push", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=1000, help="dossiers moved at once")
    parser.add_argument("--filers", type=int, default=100, help="citizens filing at once")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgresql+asyncpg://…) to run on instead of SQLite; each "
        "run gets a scratch database of its own there, dropped afterwards",
    )
    parser.add_argument(
        "--portal-apart",
        action="store_true",
        help="run the sandbox portal as its own `motcua portal-sandbox` process, reached by URL "
        "as a deployment's portal is, and report its CPU time apart",
    )
    parser.add_argument("--officer", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.officer:
        await officer(args.officer)
        return
    apart = args.portal_apart
    print(
        "mode: sandbox portal in its own process (motcua portal-sandbox), officer over HTTP"
        if apart
        else "mode: sandbox portal in this process (as motcua serve runs it)"
    )
    filed = await filing_rate(args.filers, args.database_url, apart)
    print(
        f"{filed['citizens']:.0f} citizens filing a birth registration at once: "
        f"{filed['receipts']:.0f} receipts, {filed['per_second']:.1f} dossiers a second "
        f"end to end (16 turns each, filing, receipt delivered), {filed['cpu_ms']:.0f} ms of CPU "
        f"a dossier{portal_part(filed, apart, '.0f')}"
    )
    # The reference, measured in the same run: a burst small enough not to queue.
    for count in (REFERENCE_BURST, args.dossiers):
        figures = await run(count, args.database_url, apart)
        print(
            f"{figures['dossiers']:.0f} dossiers moved at once: "
            f"p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms, "
            f"max {figures['max_ms']:.0f} ms, all delivered in {figures['all_delivered_s']:.1f} s, "
            f"lost {figures['lost']:.0f}, doubled {figures['doubled']:.0f}; "
            f"{figures['statements']:.1f} statements and {figures['commits']:.1f} commits, "
            f"{figures['cpu_ms']:.2f} ms of CPU a dossier{portal_part(figures, apart, '.2f')}"
        )


def portal_part(figures: dict[str, float], apart: bool, spec: str) -> str:
    """Whose CPU the figure is, and the portal process's beside it when it runs apart."""
    if not apart:
        return " (portal included)"
    return f" in motcua, {figures['portal_cpu_ms']:{spec}} ms in the portal"


if __name__ == "__main__":
    asyncio.run(main())
