"""Redis or PostgreSQL going away, or a platform refusing for a while, loses and doubles nothing.

The whole app is served as ``motcua serve`` builds it; Redis and PostgreSQL are the real ones,
reached through a link the test cuts (every connection broken, new ones refused) and restores,
as when their host goes away and comes back. The fast versions of ``make faults``'s
``tests/faults/test_backends_away.py``.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import aiohttp
import pytest
from fakes.messenger import FakeGraphApi
from fakes.telegram import FakeTelegram
from redis.asyncio import Redis
from sqlalchemy.engine import make_url
from support.apps import inbox_done, said_in, serving, telegram_env
from support.intervals import REDIS_RETRY_SECONDS
from support.procedures import BIRTH
from support.proxy import CuttableLink
from support.schema import migrated
from support.waiting import eventually
from test_metrics import scrape, value

from bench.workers import scratch_postgres
from bot.app import SystemClock
from integrations.messenger import WEBHOOK_PATH as MESSENGER_WEBHOOK
from integrations.webchat.identity import COOKIE
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.slow

KNOWLEDGE = LocalKnowledgeBase([BIRTH])
PAGE_TOKEN = "away-page-token"
APP_SECRET = "away-app-secret"


def link_to(url: str) -> CuttableLink:
    parsed = make_url(url)
    return CuttableLink(parsed.host or "127.0.0.1", parsed.port or 0)


@pytest.mark.redis
async def test_without_redis_a_worker_answers_with_its_own_locks_and_limits_then_returns(
    tmp_path: Path, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.backends")
    async with link_to(redis_url) as link:
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_REDIS_URL": link.url(redis_url),
            "MOTCUA_LIMIT_WEB_IDENTITY": "3/minute",
        }
        redis = Redis.from_url(redis_url)
        async with serving(env, knowledge=KNOWLEDGE, clock=SystemClock()) as app:
            url = app.settings.public_url or ""

            async def citizen(messages: int) -> tuple[str, list[int]]:
                """A new web-chat citizen's id and the statuses of their messages."""
                jar = aiohttp.CookieJar(unsafe=True)
                async with aiohttp.ClientSession(url, cookie_jar=jar) as page:
                    statuses = []
                    for n in range(messages):
                        async with page.post("/api/chat", json={"text": f"khai sinh {n}"}) as r:
                            statuses.append(r.status)
                            if r.status == 200:
                                assert (await r.json())["replies"]
                    user = jar.filter_cookies(aiohttp.client.URL(url))[COOKIE].value
                    return user.partition(".")[0], statuses

            async def counted_in_redis(user: str) -> bool:
                return any([user in key.decode() async for key in redis.scan_iter("motcua:*")])

            async with aiohttp.ClientSession(url) as http:
                before, statuses = await citizen(1)
                assert statuses == [200]
                assert await counted_in_redis(before)

                await link.cut()
                # Answered with in-process locks, and still limited: the fourth is refused.
                during, statuses = await citizen(4)
                assert statuses == [200, 200, 200, 429]
                assert not await counted_in_redis(during)
                async with http.get("/healthz") as r:
                    assert r.status == 200
                    assert await r.json() == {"status": "ok", "database": "ok", "redis": "degraded"}
                samples = await scrape(http, url)
                assert value(samples, "motcua_backend_degraded", backend="redis") == 1
                assert value(samples, "motcua_backend_errors_total", backend="redis") >= 1

                await link.restore()
                await asyncio.sleep(
                    REDIS_RETRY_SECONDS + 0.1
                )  # the interval Redis is tried again in
                # A worker given no work learns Redis is back when /metrics or /healthz look.
                samples = await scrape(http, url)
                assert value(samples, "motcua_backend_degraded", backend="redis") == 0
                after, statuses = await citizen(1)
                assert statuses == [200]
                assert await counted_in_redis(after)
                async with http.get("/healthz") as r:
                    assert (await r.json())["redis"] == "ok"
            assert len(await said_in(app, "web")) == 5  # each message kept, one turn each
        await redis.aclose()
    told = [r.getMessage() for r in caplog.records if r.name == "bot.backends"]
    assert len([m for m in told if m.startswith("Redis unavailable")]) == 1  # said once
    assert len([m for m in told if m.startswith("Redis answers again")]) == 1


@pytest.mark.postgres
async def test_a_database_away_is_answered_503_with_retry_after_and_nothing_is_lost(
    tmp_path: Path, postgres_url: str
) -> None:
    async with (
        scratch_postgres(postgres_url) as database,
        FakeTelegram(backoff_factor=0.2) as telegram,  # Retry-After 5 s: sent again after 1 s
        link_to(database) as link,
    ):
        await migrated(database)
        graph = FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=SystemClock())
        async with graph:
            env = {
                "MOTCUA_DATA_DIR": str(tmp_path),
                "MOTCUA_DATABASE_URL": link.url(database),
                **telegram_env(telegram),
                "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
                "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
                "MOTCUA_MESSENGER_VERIFY_TOKEN": "away-verify",
                "MOTCUA_MESSENGER_API_URL": graph.api_url,
            }
            async with (
                serving(env, knowledge=KNOWLEDGE, clock=SystemClock()) as app,
                aiohttp.ClientSession(app.settings.public_url) as http,
            ):
                url = app.settings.public_url or ""
                raw = graph.envelope([graph.text("6543210987654300", "khai sinh")])
                headers = graph.signed_headers(raw)

                await link.cut()
                citizen = telegram.user()
                update = citizen.send("khai sinh")
                await telegram.answers_to(update)
                assert {d.status for d in telegram.deliveries} == {503}
                async with http.post(MESSENGER_WEBHOOK, data=raw, headers=headers) as r:
                    assert r.status == 503
                    assert r.headers["Retry-After"] == "5"
                    body = await r.text()
                assert "Traceback" not in body and "sqlalchemy" not in body.lower()
                async with http.get("/healthz") as r:
                    assert r.status == 503
                    assert (await r.json())["database"] == "unavailable"
                samples = await scrape(http, url)  # /metrics answers while the database is away
                assert value(samples, "motcua_backend_errors_total", backend="database") >= 2

                await link.restore()
                # Telegram delivers again by itself; Messenger's page sends again after a 5xx.
                await telegram.wait_for(lambda: len(citizen.messages) == 1, within=20)
                async with http.post(MESSENGER_WEBHOOK, data=raw, headers=headers) as r:
                    assert r.status == 200

                async def messenger_answered() -> bool:
                    return bool(graph.messages_to("6543210987654300"))

                await eventually(messenger_answered, within=15)
                async with http.get("/healthz") as r:
                    assert r.status == 200
                assert await said_in(app, "telegram") == ["khai sinh"]
                assert await said_in(app, "messenger") == ["khai sinh"]
                assert len(citizen.messages) == 1


async def test_replies_a_platform_refuses_for_a_while_are_sent_once_without_a_second_turn(
    tmp_path: Path,
) -> None:
    async with FakeTelegram() as telegram:
        env = {"MOTCUA_DATA_DIR": str(tmp_path), **telegram_env(telegram)}
        async with (
            serving(env, knowledge=KNOWLEDGE, clock=SystemClock()) as app,
            aiohttp.ClientSession() as http,
        ):
            url = app.settings.public_url or ""
            citizen = telegram.user()
            # Two 502s: not retried by the adapter, so the inbox sends the kept reply later.
            telegram.fail("sendMessage", 502, "Bad Gateway", times=2)
            citizen.send("khai sinh")
            await telegram.wait_for(lambda: len(citizen.messages) == 1, within=15)
            # Five 429s: four used up by the adapter's own waits, then the inbox's (retry_after).
            telegram.flood(retry_after=1, times=5)
            citizen.send("khai sinh lan hai")
            await telegram.wait_for(lambda: len(citizen.messages) == 2, within=20)
            await asyncio.sleep(1.5)  # time for a wrong second send to show

            assert len(citizen.messages) == 2
            assert await said_in(app, "telegram") == ["khai sinh", "khai sinh lan hai"]
            samples = await scrape(http, url)
            errors = "motcua_send_errors_total"
            assert value(samples, errors, channel="telegram", kind="TemporaryFailure") == 2
            assert value(samples, errors, channel="telegram", kind="RateLimited") == 1


@pytest.mark.postgres
async def test_replies_sent_as_the_database_goes_away_are_not_sent_again(
    tmp_path: Path, postgres_url: str
) -> None:
    async with (
        scratch_postgres(postgres_url) as database,
        FakeTelegram() as telegram,
        link_to(database) as link,
    ):
        await migrated(database)
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_DATABASE_URL": link.url(database),
            # Away 6 s: longer than the two thirds of the claim surely left (5.3 s), shorter
            # than what is left of a claim taken just before the send.
            "MOTCUA_INBOX_LEASE_SECONDS": "8",
            **telegram_env(telegram),
        }
        async with serving(env, knowledge=KNOWLEDGE, clock=SystemClock()) as app:
            restored: list[asyncio.Task[None]] = []

            async def away_for_six_seconds() -> None:
                await link.cut()

                async def restore() -> None:
                    await asyncio.sleep(6)
                    await link.restore()

                restored.append(asyncio.create_task(restore()))

            # The reply reaches the citizen, then the database goes away before it is marked
            # sent: marking it is tried again until it answers, instead of sending it again.
            telegram.before_answering_a_send = away_for_six_seconds
            citizen = telegram.user()
            citizen.send("khai sinh")
            await telegram.wait_for(lambda: len(citizen.messages) == 1)
            await asyncio.gather(*restored)

            async def done() -> bool:
                return await inbox_done(app) == 1

            await eventually(done, within=15)
            await asyncio.sleep(4)  # past the claim: a reply sent again would show
            assert len(citizen.messages) == 1
            assert await said_in(app, "telegram") == ["khai sinh"]
