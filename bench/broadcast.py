"""One announcement to many subscribers: the rate achieved against Telegram's configured limit,
the sender's CPU and memory, and nothing lost or repeated after a kill -9 halfway.

``python -m bench.broadcast [--subscribers 100000] [--window 60]`` puts that many Telegram
citizens in Phường Ba Đình (a SQLite file), queues one announcement with ``motcua announce``
and lets a real ``motcua worker`` send it through the fake Bot API (``tests/fakes/telegram.py``,
which answers 429 to whatever goes over the bot-wide limit). Three runs:

- 30 messages a second (Telegram's default): a ``--window`` of sending is measured, not all
  of them (100,000 would take an hour);
- 1,000 a second (bots with paid broadcasts): every subscriber;
- 1,000 a second, the worker killed (SIGKILL) once half have it and started again: every
  subscriber's messages counted at the fake.

The achieved rate leaves out the first second's burst (the pace lets a second's allowance
through at once). CPU and peak memory (VmHWM) are the worker process's own; the fake server
runs in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.workers import MOTCUA, _upgrade, _wait_healthy, free_port
from tests.fakes.telegram import TOKEN, ChatLimit, FakeTelegram

FIRST_CHAT = 9_000_000_001
TEXT = "Bão số 3 sắp đổ bộ: người dân ở nhà, tránh xa bờ sông."
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Row:
    """One run's figures."""

    rate: int
    subscribers: int
    sent: int
    seconds: float
    achieved: float
    flooded: int
    cpu: float
    rss_mb: float
    lost: int | None = None
    repeated: int | None = None


class Worker:
    """One ``motcua worker`` process: started, measured, killed."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.process: asyncio.subprocess.Process | None = None
        self.cpu = 0.0
        self.rss_mb = 0.0

    async def start(self) -> None:
        port = free_port()
        self.process = await asyncio.create_subprocess_exec(
            MOTCUA,
            "worker",
            "--port",
            str(port),
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await _wait_healthy(f"http://127.0.0.1:{port}", self.process)

    def measure(self) -> None:
        """Add the process's CPU so far and keep its peak memory (read before it ends)."""
        assert self.process is not None
        proc = Path(f"/proc/{self.process.pid}")
        fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        self.cpu += (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
        for line in (proc / "status").read_text().splitlines():
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


async def measure(rate: int, subscribers: int, window: float | None, kill: bool) -> Row:
    """Send one announcement to ``subscribers`` at ``rate``; for ``window`` seconds if given."""
    with tempfile.TemporaryDirectory(prefix="motcua-broadcast-") as folder:
        database = Path(folder) / "motcua.sqlite3"
        async with FakeTelegram(bot_limit=ChatLimit(burst=rate + 1, per_second=rate)) as telegram:
            env = {
                **os.environ,
                "MOTCUA_DATA_DIR": folder,
                "MOTCUA_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
                "MOTCUA_TELEGRAM_TOKEN": TOKEN,
                "MOTCUA_TELEGRAM_API_URL": telegram.url,
                "MOTCUA_TELEGRAM_GLOBAL_RATE": str(rate),
                "MOTCUA_ANNOUNCEMENT_LEASE_SECONDS": "5",
            }
            await _upgrade(env)
            chats = [FIRST_CHAT + n for n in range(subscribers)]
            for chat in chats:
                telegram.user(chat)
            _subscribe(database, chats)
            text_file = Path(folder) / "storm.txt"
            text_file.write_text(TEXT, encoding="utf-8")
            announce = await asyncio.create_subprocess_exec(
                MOTCUA, "announce", "--commune", "00004", "--text-file", str(text_file), env=env
            )
            assert await announce.wait() == 0
            worker = Worker(env)
            await worker.start()
            goal = subscribers if window is None else None
            first = await _when(telegram, lambda n: n >= min(rate, subscribers))
            started, at_start = time.perf_counter(), len(telegram.sent)
            if kill:
                await _when(telegram, lambda n: n >= subscribers // 2)
                await worker.end(kill=True)
                await worker.start()
            if goal is not None:
                await _when(telegram, lambda n: n >= goal)
                await asyncio.sleep(2 if kill else 0)  # time for a repeat to show
            else:
                assert window is not None
                await asyncio.sleep(window - (time.perf_counter() - first))
            ended, at_end = time.perf_counter(), len(telegram.sent)
            await worker.end()
            counts = Counter(m.chat_id for m in telegram.sent)
            row = Row(
                rate=rate,
                subscribers=subscribers,
                sent=at_end,
                seconds=ended - first,
                achieved=(at_end - at_start) / (ended - started),
                flooded=len(telegram.flooded),
                cpu=worker.cpu,
                rss_mb=worker.rss_mb,
            )
            if goal is not None:
                row.lost = sum(1 for chat in chats if counts[chat] == 0)
                row.repeated = sum(n - 1 for n in counts.values())
            return row


def _subscribe(database: Path, chats: list[int]) -> None:
    """Every chat chose Phường Ba Đình (GSO 00004, Hà Nội 01), in one bulk insert."""
    now = datetime.now(UTC).isoformat()
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO commune_subscriptions (channel, user_id, person_id, commune_code, "
            "province_code, created_at, updated_at) VALUES ('telegram', ?, NULL, 4, 1, ?, ?)",
            ((str(chat), now, now) for chat in chats),
        )


async def _when(telegram: FakeTelegram, reached: Callable[[int], bool]) -> float:
    """The moment the count of messages the fake accepted satisfies ``reached``."""
    while not reached(len(telegram.sent)):  # noqa: ASYNC110 (counted by the fake's handler)
        await asyncio.sleep(0.05)
    return time.perf_counter()


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=60.0)
    args = parser.parse_args()
    print(f"one announcement to {args.subscribers:,} Telegram subscribers, SQLite, one worker")
    print(
        "| limit/s | run | sent | seconds | achieved/s | of limit | 429s | worker CPU s "
        "| worker peak RSS MB | lost | repeated |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    runs = [
        (30, f"{args.window:g} s window", args.window, False),
        (1000, "all", None, False),
        (1000, "all, kill -9 at half", None, True),
    ]
    for rate, name, window, kill in runs:
        row = asyncio.run(measure(rate, args.subscribers, window, kill))
        lost = "" if row.lost is None else str(row.lost)
        repeated = "" if row.repeated is None else str(row.repeated)
        print(
            f"| {rate} | {name} | {row.sent:,} | {row.seconds:.1f} | {row.achieved:.1f} "
            f"| {row.achieved / rate:.1%} | {row.flooded} | {row.cpu:.1f} | {row.rss_mb:.0f} "
            f"| {lost} | {repeated} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
