"""One announcement to many subscribers: the rate achieved against Telegram's configured limit,
the time to fan it out, the senders' CPU and memory, and nothing lost or repeated after a
kill -9 halfway.

``python -m bench.broadcast [--subscribers 100000] [--window 60] [--database-url URL]
[--redis-url URL]`` puts that many Telegram citizens in Phường Ba Đình, queues one
announcement with ``motcua announce`` and lets real ``motcua worker`` processes send it through
the fake Bot API (``tests/fakes/telegram.py``, which answers 429 to whatever goes over the
bot-wide limit). The runs:

- SQLite, one worker, 30 messages a second (Telegram's default): a ``--window`` of sending is
  measured, not all of them (100,000 would take an hour);
- SQLite, one worker, 1,000 a second (bots with paid broadcasts): every subscriber; then the
  same with the worker killed (SIGKILL) once half have it and started again;
- with a PostgreSQL server (``--database-url``, a new database made beside it) and Redis
  (``--redis-url``, where the workers share the bot-wide pace): one worker, then two, at 1,000
  a second, and two killed at half and started again.

The achieved rate leaves out the first second's burst (the pace lets a second's allowance
through at once). The fan-out time is the worker's own (it logs it); CPU and peak memory
(VmHWM) are the worker processes' (CPU summed, memory the largest); the fake server runs in
this process, on the same two cores. "CPU ms/message" divides all the workers' CPU by the
messages sent, start-up included (about 3 s a worker, most of it loading the knowledge base);
"sending CPU ms/message" only what they used from the first second's messages on, divided by
the messages sent since (after a kill -9 it still holds the restarted worker's start-up).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from bench.workers import MOTCUA, _upgrade, _wait_healthy, free_port, scratch_postgres
from bot.storage.database import Database
from bot.storage.tables import SubscriptionRow
from tests.fakes.telegram import TOKEN, ChatLimit, FakeTelegram

FIRST_CHAT = 9_000_000_001
TEXT = "Bão số 3 sắp đổ bộ: người dân ở nhà, tránh xa bờ sông."
TICKS = os.sysconf("SC_CLK_TCK")
FANNED_OUT = re.compile(r"announcement \d+: \d+ deliveries in ([0-9.]+) s")


@dataclass(frozen=True)
class Setup:
    """Where a run keeps its data and how many workers send."""

    name: str
    workers: int
    postgres: bool


@dataclass
class Row:
    """One run's figures."""

    setup: Setup
    rate: int
    run: str
    sent: int
    at_first: int
    seconds: float
    achieved: float
    flooded: int
    fan_out: float | None
    cpu: float
    sending_cpu: float
    rss_mb: float
    lost: int | None = None
    repeated: int | None = None


class Worker:
    """One ``motcua worker`` process: started, measured, killed; its log kept in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.process: asyncio.subprocess.Process | None = None
        self.cpu = 0.0
        self.rss_mb = 0.0

    async def start(self) -> None:
        port = free_port()
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                MOTCUA,
                "worker",
                "--port",
                str(port),
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )
        await _wait_healthy(f"http://127.0.0.1:{port}", self.process)

    def cpu_now(self) -> float:
        """CPU seconds the running process has used so far."""
        assert self.process is not None
        stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime

    def measure(self) -> None:
        """Add the process's CPU so far and keep its peak memory (read before it ends)."""
        assert self.process is not None
        self.cpu += self.cpu_now()
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                self.rss_mb = max(self.rss_mb, int(line.split()[1]) / 1024)

    async def end(self, *, kill: bool = False) -> None:
        assert self.process is not None
        self.measure()
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        await self.process.wait()

    def fan_out(self) -> float | None:
        """Seconds the worker took to fan the announcement out, if it did."""
        found = FANNED_OUT.search(self.log.read_text(encoding="utf-8", errors="replace"))
        return float(found.group(1)) if found else None


async def measure(
    setup: Setup,
    rate: int,
    subscribers: int,
    window: float | None,
    kill: bool,
    database_url: str | None = None,
    redis_url: str | None = None,
) -> Row:
    """Send one announcement to ``subscribers`` at ``rate``; for ``window`` seconds if given."""
    with tempfile.TemporaryDirectory(prefix="motcua-broadcast-") as folder:
        async with FakeTelegram(bot_limit=ChatLimit(burst=rate + 1, per_second=rate)) as telegram:
            env = {
                **os.environ,
                "MOTCUA_DATA_DIR": folder,
                "MOTCUA_DATABASE_URL": database_url
                or f"sqlite+aiosqlite:///{Path(folder) / 'motcua.sqlite3'}",
                "MOTCUA_TELEGRAM_TOKEN": TOKEN,
                "MOTCUA_TELEGRAM_API_URL": telegram.url,
                "MOTCUA_TELEGRAM_GLOBAL_RATE": str(rate),
                "MOTCUA_ANNOUNCEMENT_LEASE_SECONDS": "5",
            }
            env.pop("MOTCUA_REDIS_URL", None)
            if redis_url:
                env["MOTCUA_REDIS_URL"] = redis_url
            await _upgrade(env)
            chats = [FIRST_CHAT + n for n in range(subscribers)]
            for chat in chats:
                telegram.user(chat)
            await _subscribe(env["MOTCUA_DATABASE_URL"], chats)
            text_file = Path(folder) / "storm.txt"
            text_file.write_text(TEXT, encoding="utf-8")
            announce = await asyncio.create_subprocess_exec(
                MOTCUA,
                "announce",
                "--commune",
                "00004",
                "--text-file",
                str(text_file),
                env=env,
                stdout=asyncio.subprocess.DEVNULL,
            )
            assert await announce.wait() == 0
            workers = [
                Worker(
                    {**env, "MOTCUA_DATA_DIR": f"{folder}/worker-{n}"}, Path(f"{folder}/{n}.log")
                )
                for n in range(setup.workers)
            ]
            await asyncio.gather(*(worker.start() for worker in workers))
            goal = subscribers if window is None else None
            first = await _when(telegram, lambda n: n >= min(rate, subscribers))
            started, at_start = time.perf_counter(), len(telegram.sent)
            start_up_cpu = sum(worker.cpu_now() for worker in workers)
            if kill:
                await _when(telegram, lambda n: n >= subscribers // 2)
                await asyncio.gather(*(worker.end(kill=True) for worker in workers))
                await asyncio.gather(*(worker.start() for worker in workers))
            if goal is not None:
                await _when(telegram, lambda n: n >= goal)
                await asyncio.sleep(2 if kill else 0)  # time for a repeat to show
            else:
                assert window is not None
                await asyncio.sleep(window - (time.perf_counter() - first))
            ended, at_end = time.perf_counter(), len(telegram.sent)
            await asyncio.gather(*(worker.end() for worker in workers))
            counts = Counter(m.chat_id for m in telegram.sent)
            fanned = [seconds for worker in workers if (seconds := worker.fan_out()) is not None]
            row = Row(
                setup=setup,
                rate=rate,
                run="",
                sent=at_end,
                at_first=at_start,
                seconds=ended - first,
                achieved=(at_end - at_start) / (ended - started),
                flooded=len(telegram.flooded),
                fan_out=fanned[0] if fanned else None,
                cpu=sum(worker.cpu for worker in workers),
                sending_cpu=sum(worker.cpu for worker in workers) - start_up_cpu,
                rss_mb=max(worker.rss_mb for worker in workers),
            )
            if goal is not None:
                row.lost = sum(1 for chat in chats if counts[chat] == 0)
                row.repeated = sum(n - 1 for n in counts.values())
            return row


async def _subscribe(database_url: str, chats: list[int]) -> None:
    """Every chat chose Phường Ba Đình (GSO 00004, Hà Nội 01), in bulk inserts."""
    now = datetime.now(UTC)
    rows = [
        {
            "channel": "telegram",
            "user_id": str(chat),
            "person_id": None,
            "commune_code": 4,
            "province_code": 1,
            "created_at": now,
            "updated_at": now,
        }
        for chat in chats
    ]
    async with Database(database_url) as database:
        for start in range(0, len(rows), 10_000):
            async with database.transaction() as session:
                await session.execute(insert(SubscriptionRow), rows[start : start + 10_000])


async def _when(telegram: FakeTelegram, reached: Callable[[int], bool]) -> float:
    """The moment the count of messages the fake accepted satisfies ``reached``."""
    while not reached(len(telegram.sent)):  # noqa: ASYNC110 (counted by the fake's handler)
        await asyncio.sleep(0.05)
    return time.perf_counter()


async def run(
    setup: Setup,
    rate: int,
    name: str,
    args: argparse.Namespace,
    window: float | None = None,
    kill: bool = False,
) -> Row:
    """One run, in a PostgreSQL database of its own when the setup asks for one."""
    if not setup.postgres:
        row = await measure(setup, rate, args.subscribers, window, kill)
    else:
        async with scratch_postgres(args.database_url) as database:
            row = await measure(
                setup, rate, args.subscribers, window, kill, database, args.redis_url
            )
    row.run = name
    return row


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=60.0)
    parser.add_argument("--database-url", default=os.environ.get("MOTCUA_TEST_POSTGRES_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("MOTCUA_TEST_REDIS_URL"))
    parser.add_argument(
        "--only", choices=["sqlite", "postgres"], help="only the runs on this database"
    )
    args = parser.parse_args()
    sqlite = Setup("SQLite, 1 worker", 1, postgres=False)
    plans = []
    if args.only != "postgres":
        plans += [
            (sqlite, 30, f"{args.window:g} s window", args.window, False),
            (sqlite, 1000, "all", None, False),
            (sqlite, 1000, "all, kill -9 at half", None, True),
        ]
    if args.database_url and args.redis_url and args.only != "sqlite":
        one, two = (
            Setup(f"PostgreSQL + Redis, {n} worker{'s' * (n > 1)}", n, postgres=True)
            for n in (1, 2)
        )
        plans += [
            (one, 1000, "all", None, False),
            (two, 1000, "all", None, False),
            (two, 1000, "all, kill -9 at half", None, True),
        ]
    print(f"one announcement to {args.subscribers:,} Telegram subscribers")
    print(
        "| setup | limit/s | run | fan-out s | sent | seconds | achieved/s | of limit | 429s "
        "| workers' CPU s | CPU ms/message | sending CPU ms/message | peak RSS MB | lost "
        "| repeated |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for setup, rate, name, window, kill in plans:
        row = asyncio.run(run(setup, rate, name, args, window, kill))
        lost = "" if row.lost is None else str(row.lost)
        repeated = "" if row.repeated is None else str(row.repeated)
        fan_out = "" if row.fan_out is None else f"{row.fan_out:.2f}"
        print(
            f"| {setup.name} | {rate} | {name} | {fan_out} | {row.sent:,} | {row.seconds:.1f} "
            f"| {row.achieved:.1f} | {row.achieved / rate:.1%} | {row.flooded} | {row.cpu:.1f} "
            f"| {row.cpu / row.sent * 1000:.2f} "
            f"| {row.sending_cpu / (row.sent - row.at_first) * 1000:.2f} "
            f"| {row.rss_mb:.0f} | {lost} | {repeated} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
