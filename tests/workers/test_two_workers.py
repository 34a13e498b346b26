"""Two real ``motcua serve`` processes started together on one PostgreSQL and Redis, as
behind a load balancer, agree on what used to live in one process's memory.

Telegram and Zalo are the fakes in ``tests/fakes``; which worker an update reaches is chosen
by pointing the fake's webhook (or the test's own POST) at it, as a load balancer would. The
shared button tokens and blocked users are shown with two channels on separate engines in
``tests/telegram/test_telegram_shared_state.py``.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from support.apps import telegram_env, zalo_env
from support.procedures import BIRTH

from bench.workers import free_port, scratch_postgres, workers
from integrations.telegram import WEBHOOK_PATH as TELEGRAM_WEBHOOK
from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from knowledge.store import save_knowledge_base

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.slow,
]


@dataclass
class Deployment:
    telegram: FakeTelegram
    zalo: FakeZalo
    zalo_access_token: str
    urls: list[str]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def deployment(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Deployment]:
    """Both workers, Telegram in webhook mode and Zalo, configured alike and started at once."""
    postgres = os.environ.get("MOTCUA_TEST_POSTGRES_URL")
    redis = os.environ.get("MOTCUA_TEST_REDIS_URL")
    if not (postgres and redis):
        pytest.skip("MOTCUA_TEST_POSTGRES_URL and MOTCUA_TEST_REDIS_URL are needed")
    knowledge = Path(tmp_path_factory.mktemp("kb")) / "kb.json.gz"
    save_knowledge_base([BIRTH], knowledge)  # a small one: workers start in a moment
    ports = [free_port(), free_port()]
    async with FakeTelegram() as telegram, FakeZalo(oauth_delay=1.0) as zalo:
        env = {
            **telegram_env(telegram),
            **zalo_env(zalo),
            "MOTCUA_KNOWLEDGE_PATH": str(knowledge),
            # One public address for both, as behind a load balancer.
            "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{ports[0]}",
        }
        async with (
            scratch_postgres(postgres) as database,
            workers(2, database_url=database, redis_url=redis, env=env, ports=ports) as urls,
        ):
            yield Deployment(telegram, zalo, env["MOTCUA_ZALO_ACCESS_TOKEN"], urls)


async def test_both_workers_accept_the_webhook_secret_telegram_was_given(
    deployment: Deployment,
) -> None:
    telegram = deployment.telegram
    assert telegram.webhook is not None and telegram.webhook.secret_token
    for n, url in enumerate(deployment.urls):
        telegram.webhook.url = url + TELEGRAM_WEBHOOK
        user = telegram.user(6_100_000 + n)
        update = user.send("menu")
        assert await telegram.answers_to(update) == {200}, f"worker {n} refused Telegram's secret"
        await telegram.wait_for(lambda u=user: bool(u.messages))


async def test_two_workers_refreshing_the_zalo_token_at_once_spend_it_once(
    deployment: Deployment,
) -> None:
    zalo = deployment.zalo
    zalo.revoke(deployment.zalo_access_token)  # both workers hold it, neither has refreshed
    users = ["8800000000000000001", "8800000000000000002"]
    async with aiohttp.ClientSession() as http:

        async def write(url: str, user: str) -> int:
            event = zalo.text_event(user, "menu")
            raw = json.dumps(event, ensure_ascii=False).encode()
            headers = {
                "Content-Type": "application/json",
                "X-ZEvent-Signature": zalo.sign(raw, event["timestamp"]),
            }
            async with http.post(url + ZALO_WEBHOOK, data=raw, headers=headers) as response:
                return response.status

        statuses = await asyncio.gather(
            *(write(url, user) for url, user in zip(deployment.urls, users, strict=True))
        )
    assert statuses == [200, 200]
    await zalo.wait_until(lambda: all(zalo.sent_to(user) for user in users))
    assert zalo.refreshes == 1  # the other worker waited and used the stored pair
    assert deployment.zalo_access_token not in zalo.tokens_used[-2:]
