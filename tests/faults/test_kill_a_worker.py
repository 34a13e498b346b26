"""Two real ``motcua serve`` workers on PostgreSQL and Redis; one is killed (SIGKILL) while
messages are in flight, then started again (``make faults``; slow, not in ``make test``).

Telegram delivers by webhook from its fake, retrying as Telegram does; Messenger, Zalo and the
web chat reach whichever worker is up, as behind a load balancer: a request that dies with its
worker is sent again to the other one (the page sends its own message id again). Afterwards the
database shows every message's turn exactly once, in order, and every message answered.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from fakes.messenger import FakeGraphApi
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from redis.asyncio import Redis
from reliability.servers import (
    MOTCUA,
    ServerProcess,
    free_port,
    small_knowledge,
    worker_processes,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from support.apps import telegram_env, zalo_env
from support.waiting import eventually

from bench.workers import UNLIMITED, open_messages, scratch_postgres
from integrations.messenger import WEBHOOK_PATH as MESSENGER_WEBHOOK
from integrations.webchat.identity import COOKIE
from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK

pytestmark = [pytest.mark.faults, pytest.mark.postgres, pytest.mark.redis]

PAGE_TOKEN = "faults-page-token"
APP_SECRET = "faults-app-secret"
LOCK_EXPIRY = 10.0
"""Seconds a dead worker's conversation lock outlives it (``bot.redis_locks.RedisLocks``)."""
LEASE = 10.0
"""``MOTCUA_INBOX_LEASE_SECONDS`` (the default): a dead worker's claim on a message runs out
after this long. Much shorter, a live worker on a loaded machine loses claims it still works
on, and its messages are taken again and again."""


@dataclass
class Deployment:
    """Two workers, the fakes behind them and the shared database."""

    workers: list[ServerProcess]
    database: str
    redis: str
    telegram: FakeTelegram
    graph: FakeGraphApi
    zalo: FakeZalo

    async def incoming(self) -> dict[tuple[str, str], list[str]]:
        """What the message log says each (channel, user) wrote, in order."""
        engine = create_async_engine(self.database)
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    text(
                        "SELECT channel, user_id, text FROM message_log "
                        "WHERE direction = 'in' ORDER BY id"
                    )
                )
                said: dict[tuple[str, str], list[str]] = {}
                for channel, user, said_text in rows:
                    said.setdefault((channel, user), []).append(said_text)
                return said
        finally:
            await engine.dispose()


async def migrate(env: dict[str, str]) -> None:
    upgrade = await asyncio.create_subprocess_exec(
        MOTCUA, "db", "upgrade", env={**os.environ, **env}, stdout=asyncio.subprocess.DEVNULL
    )
    assert await upgrade.wait() == 0


@pytest.fixture
async def deployment(tmp_path: Path) -> AsyncIterator[Deployment]:
    postgres = os.environ.get("MOTCUA_TEST_POSTGRES_URL")
    redis = os.environ.get("MOTCUA_TEST_REDIS_URL")
    if not (postgres and redis):
        pytest.skip("MOTCUA_TEST_POSTGRES_URL and MOTCUA_TEST_REDIS_URL are needed")
    ports = [free_port(), free_port()]
    # Telegram retries a failed webhook for about two minutes, time for a worker to restart.
    async with (
        scratch_postgres(postgres) as database,
        FakeTelegram(backoff_factor=0.5) as telegram,
        FakeZalo() as zalo,
    ):
        graph = FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=zalo.clock)
        env = {
            **UNLIMITED,
            **telegram_env(telegram),
            **zalo_env(zalo),
            "MOTCUA_DATABASE_URL": database,
            "MOTCUA_REDIS_URL": redis,
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
            "MOTCUA_INBOX_LEASE_SECONDS": str(LEASE),
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
            "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
            "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
            "MOTCUA_MESSENGER_VERIFY_TOKEN": "faults-verify",
        }
        await migrate(env)
        async with graph:
            env["MOTCUA_MESSENGER_API_URL"] = graph.api_url
            workers = worker_processes(env, tmp_path, ports)
            try:
                # Both started before either failure is raised, so neither outlives the test.
                started = await asyncio.gather(
                    *(worker.start() for worker in workers), return_exceptions=True
                )
                for outcome in started:
                    if isinstance(outcome, BaseException):
                        raise outcome
                yield Deployment(workers, database, redis, telegram, graph, zalo)
            finally:
                await asyncio.gather(*(worker.stop() for worker in workers))


Post = Callable[[str], Awaitable[int]]
"""One message sent to the worker at the given base URL; the HTTP status."""


async def to_any_worker(deployment: Deployment, post: Post, first: int) -> int:
    """Send until a worker takes it, starting with worker ``first``, as a load balancer does:
    a request that died with its worker goes to the other one."""
    urls = [worker.url for worker in deployment.workers]
    for attempt in range(200):
        url = urls[(first + attempt) % len(urls)]
        try:
            status = await post(url)
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
            continue
        if status < 500:
            return status
        await asyncio.sleep(0.05)
    raise AssertionError("no worker took the message")


async def test_a_worker_killed_while_messages_are_in_flight_loses_and_doubles_nothing(
    deployment: Deployment,
) -> None:
    users, per_user = 3, 6
    texts = [f"cau hoi so {n}" for n in range(per_user)]
    sent = 0
    half = asyncio.Event()
    telegram, zalo, graph = deployment.telegram, deployment.zalo, deployment.graph

    def counted() -> None:
        nonlocal sent
        sent += 1
        if sent >= 2 * users * per_user:  # half of the four channels' messages
            half.set()

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:

        async def zalo_user(n: int) -> None:
            user = f"88000000000000000{n:02d}"
            for m, said in enumerate(texts):
                event = zalo.text_event(user, said)
                raw = json.dumps(event, ensure_ascii=False).encode()
                headers = {
                    "Content-Type": "application/json",
                    "X-ZEvent-Signature": zalo.sign(raw, event["timestamp"]),
                }

                async def post(
                    url: str, raw: bytes = raw, headers: dict[str, str] = headers
                ) -> int:
                    async with http.post(url + ZALO_WEBHOOK, data=raw, headers=headers) as r:
                        return r.status

                assert await to_any_worker(deployment, post, m) == 200
                counted()

        async def messenger_user(n: int) -> None:
            psid = f"65432109876543{n:02d}"
            for m, said in enumerate(texts):
                raw = graph.envelope([graph.text(psid, said)])
                headers = graph.signed_headers(raw)

                async def post(
                    url: str, raw: bytes = raw, headers: dict[str, str] = headers
                ) -> int:
                    async with http.post(url + MESSENGER_WEBHOOK, data=raw, headers=headers) as r:
                        return r.status

                assert await to_any_worker(deployment, post, m) == 200
                counted()

        async def web_user(n: int) -> None:
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as page:

                async def load(url: str) -> int:  # the page, and with it the identity cookie
                    async with page.get(url + "/") as r:
                        return r.status

                assert await to_any_worker(deployment, load, n) == 200
                for m, said in enumerate(texts):
                    body = {"text": said, "id": f"m{m}"}

                    async def post(url: str, body: dict[str, str] = body) -> int:
                        async with page.post(url + "/api/chat", json=body) as r:
                            return r.status

                    assert await to_any_worker(deployment, post, m) in (200, 202)
                    counted()

        async def telegram_user(n: int) -> None:
            user = telegram.user(7_100_000 + n)
            for said in texts:
                update = user.send(said)
                await telegram.wait_for(
                    lambda u=update: any(
                        d.update_id == u["update_id"] and d.status == 200
                        for d in telegram.deliveries
                    ),
                    within=120,
                )
                counted()

        async def kill_at_half() -> None:
            await half.wait()
            await deployment.workers[0].kill()
            await asyncio.sleep(1)
            await deployment.workers[0].start()

        await asyncio.gather(
            kill_at_half(),
            *(
                sender(n)
                for n in range(users)
                for sender in (zalo_user, messenger_user, web_user, telegram_user)
            ),
        )

    async def all_answered() -> bool:
        return await open_messages(deployment.database) == 0

    await eventually(all_answered, within=60)  # every message answered
    said = await deployment.incoming()
    counts = {f"{channel}:{user[:6]}": len(turns) for (channel, user), turns in said.items()}
    assert len(said) == 4 * users, counts
    assert all(turns == texts for turns in said.values()), said  # once each, in order


async def test_a_worker_killed_holding_a_conversation_lock_blocks_it_only_until_expiry(
    deployment: Deployment,
) -> None:
    first, second = deployment.workers
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as page:

        async def say(worker: ServerProcess, said: str) -> int:
            async with page.post(worker.url + "/api/chat", json={"text": said}) as r:
                return r.status

        assert await say(first, "xin chao") == 200
        cookie = page.cookie_jar.filter_cookies(aiohttp.client.URL(first.url))[COOKIE]
        user = cookie.value.partition(".")[0]
        # Hold the conversation's row, so the next turn on the first worker stops mid-way,
        # holding the conversation's Redis lock, until the worker is killed.
        engine = create_async_engine(deployment.database)
        redis = Redis.from_url(deployment.redis)
        try:
            async with engine.connect() as holder:
                await holder.execute(
                    text(
                        "SELECT 1 FROM conversations c JOIN users u ON u.id = c.user_pk "
                        "WHERE u.channel = 'web' AND u.user_id = :user FOR UPDATE"
                    ),
                    {"user": user},
                )
                stuck = asyncio.create_task(say(first, "cau hai"))

                async def locked() -> bool:
                    return bool(await redis.exists(f"motcua:lock:web:{user}"))

                await eventually(locked, within=20)
                await first.kill()
                await holder.rollback()
            await asyncio.gather(stuck, return_exceptions=True)  # died with its worker

            started = time.monotonic()
            status = await say(second, "cau ba")
            assert status in (200, 202)  # "one moment" while the lock runs out, never a 5xx

            async def answered() -> bool:
                return await open_messages(deployment.database) == 0

            await eventually(answered, within=LOCK_EXPIRY + LEASE + 10)
            waited = time.monotonic() - started
        finally:
            await redis.aclose()
            await engine.dispose()
    assert waited < LOCK_EXPIRY + LEASE + 5
    said = await deployment.incoming()
    assert said[("web", user)] == ["xin chao", "cau hai", "cau ba"]
