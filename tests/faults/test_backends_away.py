"""Two real ``motcua serve`` workers on PostgreSQL and Redis while citizens keep writing: Redis
stopped for 30 s, PostgreSQL shut down and started again 8 s later, Telegram answering 5xx and
429 (``make faults``; slow, not in ``make test``, whose fast versions are in
``tests/reliability/test_backends_away.py``).

Redis and PostgreSQL are servers of the test's own on ports of their own, stopped and started
again (PostgreSQL in fast mode, as an administrator's restart: every open session is ended).
Afterwards every message's turn ran once, in order, each was answered, no reply was sent twice,
and each failure shows in the workers' ``/metrics`` and, for Redis, one line in each worker's
log.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from fakes.telegram import FakeTelegram
from reliability.servers import MOTCUA, free_port, small_knowledge, worker_processes
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from support.apps import telegram_env
from support.postgres_server import available, postgres_server
from support.redis_server import RedisServer
from support.waiting import eventually
from test_metrics import scrape, value

from bench.workers import UNLIMITED

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not available(), reason="needs PostgreSQL's pg_ctl to run a server"),
]

USERS = 4
REDIS_AWAY = 30.0
DATABASE_AWAY = 8.0


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(tmp_path / "redis.log")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def turns_and_replies(database: str) -> dict[str, tuple[list[str], int]]:
    """Per Telegram user: what the message log says they wrote, and how many replies it kept."""
    engine = create_async_engine(database)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT user_id, direction, text FROM message_log "
                    "WHERE channel = 'telegram' ORDER BY id"
                )
            )
            found: dict[str, tuple[list[str], int]] = {}
            for user, direction, said in rows:
                turns, replies = found.get(user, ([], 0))
                if direction == "in":
                    turns.append(said)
                else:
                    replies += 1
                found[user] = (turns, replies)
            return found
    finally:
        await engine.dispose()


async def test_redis_and_the_database_away_and_a_refusing_platform_lose_and_double_nothing(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    async with (
        postgres_server() as postgres,
        FakeTelegram(backoff_factor=0.5) as telegram,
    ):
        database = postgres.url  # the whole server is the test's, thrown away afterwards
        upgrade = await asyncio.create_subprocess_exec(
            MOTCUA,
            "db",
            "upgrade",
            env={**os.environ, "MOTCUA_DATABASE_URL": database},
            stdout=asyncio.subprocess.DEVNULL,
        )
        assert await upgrade.wait() == 0
        ports = [free_port(), free_port()]
        env = {
            **UNLIMITED,
            **telegram_env(telegram),
            "MOTCUA_DATABASE_URL": database,
            "MOTCUA_REDIS_URL": redis_server.url,
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
            # A reply sent as the database goes away is marked sent when it is back; it is
            # sent again only if the claim ran out meanwhile and another claim won the
            # race (Telegram takes no idempotency key). A claim renewed just before the
            # database went away outlasts two thirds of the lease less a renewal's pause
            # (bot/inbox.py, _renew): 12.8 s, longer than the database is away (some 9 s).
            "MOTCUA_INBOX_LEASE_SECONDS": "20",
        }
        workers = worker_processes(env, tmp_path, ports)
        try:
            for worker in workers:
                await worker.start()
            await telegram.wait_for(lambda: telegram.webhook is not None)
            citizens = [telegram.user(7_300_000 + n) for n in range(USERS)]
            sent: dict[int, list[str]] = {c.id: [] for c in citizens}
            done = asyncio.Event()

            async def write(citizen_index: int) -> None:
                citizen = citizens[citizen_index]
                n = 0
                while not done.is_set():
                    said = f"cau hoi so {n}"
                    citizen.send(said)
                    sent[citizen.id].append(said)
                    n += 1
                    await asyncio.sleep(1.0)

            async def faults() -> None:
                await asyncio.sleep(3)
                await redis_server.stop()
                await asyncio.sleep(REDIS_AWAY / 3)
                telegram.fail("sendMessage", 502, "Bad Gateway", times=3)
                await asyncio.sleep(REDIS_AWAY / 3)
                # More than the adapter absorbs (4 tries a send, 4 chats at once).
                telegram.flood(retry_after=1, times=20)
                await asyncio.sleep(REDIS_AWAY / 3)
                await redis_server.start()
                await asyncio.sleep(3)
                await postgres.stop()
                await asyncio.sleep(DATABASE_AWAY)
                await postgres.start()
                await asyncio.sleep(3)
                done.set()

            await asyncio.gather(faults(), *(write(n) for n in range(USERS)))

            async def all_answered() -> bool:
                found = await turns_and_replies(database)
                return all(
                    len(found.get(str(c.id), ([], 0))[0]) == len(sent[c.id])
                    and len(c.messages) >= found[str(c.id)][1]
                    for c in citizens
                )

            await eventually(all_answered, within=120)
            await asyncio.sleep(2)  # time for a wrong second send to show
            found = await turns_and_replies(database)
            for citizen in citizens:
                turns, replies = found[str(citizen.id)]
                assert turns == sent[citizen.id]  # each message's turn once, in order
                assert len(citizen.messages) == replies  # each reply sent once

            async with aiohttp.ClientSession() as http:
                samples = [await scrape(http, worker.url) for worker in workers]
            for backend in ("redis", "database"):
                failures = sum(
                    value(s, "motcua_backend_errors_total", backend=backend) for s in samples
                )
                assert failures >= 1, backend
            for kind in ("TemporaryFailure", "RateLimited"):
                failures = sum(
                    value(s, "motcua_send_errors_total", channel="telegram", kind=kind)
                    for s in samples
                )
                assert failures >= 1, kind
            assert all(value(s, "motcua_backend_degraded", backend="redis") == 0 for s in samples)
        finally:
            await asyncio.gather(*(worker.stop() for worker in workers))
    told = [worker.log_path.read_text() for worker in workers]
    # Said once by each worker that needed Redis while it was away, and once when it came back.
    assert [log.count("Redis unavailable") for log in told] in ([1, 1], [1, 0], [0, 1])
    assert [log.count("Redis answers again") for log in told] == [
        log.count("Redis unavailable") for log in told
    ]
