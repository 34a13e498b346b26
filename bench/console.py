"""The staff console under a realistic store: page times, and a staff answer's trip to the citizen.

``python -m bench.console`` builds the whole application as ``motcua serve`` does (SQLite by
default, ``--database-url`` for PostgreSQL), stores ``--messages`` logged messages (100,000 by
default) across ``--citizens`` conversations, each handed to staff (``--open`` of them still
waiting), signs an admin in over HTTP and then:

- requests the console's pages (the live queue, one conversation with its history) ``--rounds``
  times each: p50 and p95, with ``/healthz`` measured the same way as the reference;
- claims ``--replies`` waiting conversations and answers each from the console: the time from
  the answer's POST to the moment the citizen's channel is handed the message (p50, p99). The
  channel is a recording stand-in for a platform, so a platform's own rate limit does not count.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import insert

from bot.app import App, SystemClock, build_app
from bot.config import Settings
from bot.console import passwords
from bot.server import web_application
from bot.storage.handoffs import SqlHandoffs
from bot.storage.schema import ensure_schema
from bot.storage.staff import Role, SqlStaff
from bot.storage.tables import HandoffRow, MessageLogRow
from dialogs.messages import ConversationRef, Reply

PASSWORD = "bench password 2026"
COMMUNE = "00004"


class RecordingChannel:
    """The web channel's stand-in: records when each citizen is handed a staff answer."""

    name = "web"

    def __init__(self) -> None:
        self.received: dict[str, float] = {}

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Note when the citizen got their first staff answer."""
        self.received.setdefault(ref.user_id, time.perf_counter())


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@asynccontextmanager
async def serving(database_url: str | None) -> AsyncIterator[tuple[App, RecordingChannel, str]]:
    """The whole app on a fresh database and a local port, its web channel recorded."""
    with tempfile.TemporaryDirectory() as folder, socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {"MOTCUA_DATA_DIR": folder, "MOTCUA_PORTAL_SANDBOX_PORT": "0"}
        if database_url:
            env["MOTCUA_DATABASE_URL"] = database_url
        settings = Settings.from_env(env)
        await ensure_schema(settings.database_url)
        async with build_app(settings, platforms=False) as app:
            runner = web.AppRunner(web_application(app), handle_signals=False, access_log=None)
            await runner.setup()
            await web.SockSite(runner, listener).start()
            recorder = RecordingChannel()
            app.channels["web"] = recorder
            try:
                yield app, recorder, url
            finally:
                await runner.cleanup()


async def seed(app: App, messages: int, citizens: int, open_count: int) -> list[int]:
    """Store the messages and the handoffs; the ids of the open ones."""
    now = SystemClock().now()
    per_citizen = messages // citizens
    async with app.database.transaction() as session:
        await SqlStaff(session).add(
            "admin@bench.vn", "Bench", passwords.hash_password(PASSWORD), Role.ADMIN, [], now
        )
    for first in range(0, citizens, 100):
        rows = [
            {
                "at": now - timedelta(minutes=per_citizen - n),
                "direction": "in" if n % 2 == 0 else "out",
                "channel": "web",
                "user_id": f"citizen-{c:05d}",
                "text": f"Tin nhắn {n} của người dân {c}: cho hỏi thủ tục đăng ký khai sinh",
            }
            for c in range(first, min(first + 100, citizens))
            for n in range(per_citizen)
        ]
        handoffs = [
            {
                "channel": "web",
                "user_id": f"citizen-{c:05d}",
                "commune": COMMUNE,
                "status": "waiting" if c < open_count else "closed",
                "requested_at": now,
                "updated_at": now,
            }
            for c in range(first, min(first + 100, citizens))
        ]
        async with app.database.transaction() as session:
            await session.execute(insert(MessageLogRow), rows)
            await session.execute(insert(HandoffRow), handoffs)
    async with app.database.transaction() as session:
        return [h.id for h in await SqlHandoffs(session).listed(None, limit=open_count)]


async def timed(session: aiohttp.ClientSession, url: str, rounds: int) -> list[float]:
    """Seconds each of ``rounds`` GETs of ``url`` took."""
    took = []
    for _ in range(rounds):
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200, (url, response.status)
        took.append(time.perf_counter() - started)
    return took


async def run(args: argparse.Namespace) -> list[tuple[str, int, float, float]]:
    """Measure; rows of (what, count, p50 ms, p95 or p99 ms)."""
    async with serving(args.database_url) as (app, recorder, url):
        started = time.perf_counter()
        waiting = await seed(app, args.messages, args.citizens, args.open)
        print(f"stored {args.messages} messages in {time.perf_counter() - started:.1f} s")
        app.start_background()
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as session:
            async with session.get(f"{url}/console/login") as page:
                token = re.search(r'name="login_token" value="([^"]+)"', await page.text())
            assert token is not None
            login = {"email": "admin@bench.vn", "password": PASSWORD, "login_token": token[1]}
            async with session.post(f"{url}/console/login", data=login) as signed:
                csrf = re.search(r'name="csrf" value="([^"]+)"', await signed.text())
            assert csrf is not None
            rows = []
            for name, path in (
                ("/healthz (reference)", "/healthz"),
                ("queue page", "/console/"),
                ("queue, live part", "/console/conversations/live"),
                ("one conversation", f"/console/conversations/{waiting[0]}"),
                ("its messages, live part", f"/console/conversations/{waiting[0]}/messages"),
            ):
                took = await timed(session, url + path, args.rounds)
                rows.append((name, args.rounds, percentile(took, 0.5), percentile(took, 0.95)))

            posted: dict[str, float] = {}
            for handoff_id in waiting[: args.replies]:
                base = f"{url}/console/conversations/{handoff_id}"
                async with session.post(f"{base}/claim", data={"csrf": csrf[1]}) as claimed:
                    assert claimed.status == 200
                async with app.database.transaction() as db:
                    found = await SqlHandoffs(db).get(handoff_id)
                assert found is not None
                posted[found.ref.user_id] = time.perf_counter()
                answer = {"csrf": csrf[1], "text": "Xã làm việc từ 7 giờ 30."}
                async with session.post(f"{base}/reply", data=answer) as replied:
                    assert replied.status == 200
            for _ in range(3000):
                if len(recorder.received) >= len(posted):
                    break
                await asyncio.sleep(0.01)
        trips = [recorder.received[u] - t for u, t in posted.items() if u in recorder.received]
        lost = len(posted) - len(trips)
        rows.append(
            (
                f"staff answer → citizen's channel ({lost} lost)",
                len(trips),
                statistics.median(trips),
                percentile(trips, 0.99),
            )
        )
    return rows


def main() -> None:
    """Run and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=1_000)
    parser.add_argument("--open", type=int, default=200, help="conversations still waiting")
    parser.add_argument("--rounds", type=int, default=200, help="requests of each page")
    parser.add_argument("--replies", type=int, default=100, help="staff answers sent")
    parser.add_argument("--database-url", help="PostgreSQL instead of a fresh SQLite file")
    args = parser.parse_args()
    rows = asyncio.run(run(args))
    print(f"\n{'what':48} {'n':>5} {'p50 ms':>8} {'p95/p99 ms':>11}")
    for name, count, p50, tail in rows:
        print(f"{name:48} {count:5d} {1000 * p50:8.1f} {1000 * tail:11.1f}")
    print("\npages: p95; the staff answer: p99")


if __name__ == "__main__":
    main()
