"""Two real ``motcua serve`` workers over PostgreSQL and Redis count one client's requests
together: spreading them over the workers buys nothing."""

from __future__ import annotations

import random
from pathlib import Path

import aiohttp
import pytest
from reliability.servers import small_knowledge

from bench.workers import scratch_postgres, workers

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


async def test_two_workers_share_the_limit_of_one_address(
    postgres_url: str, redis_url: str, tmp_path: Path
) -> None:
    # A client address of this test's own (behind the trusted proxy), so earlier runs' counts
    # in the same Redis do not matter.
    client = f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"
    env = {
        "MOTCUA_LIMIT_WEB_ADDRESS": "5/minute",
        "MOTCUA_TRUSTED_PROXIES": "127.0.0.1",
        "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
    }
    statuses = []
    async with (
        scratch_postgres(postgres_url) as database,
        workers(2, database_url=database, redis_url=redis_url, env=env) as urls,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser,
    ):
        for n in range(8):
            async with browser.post(
                urls[n % 2] + "/api/chat",
                json={"text": "xin chao"},
                headers={"X-Forwarded-For": client},
            ) as response:
                statuses.append(response.status)
                if response.status == 429:
                    assert int(response.headers["Retry-After"]) > 0
    assert statuses == [200] * 5 + [429] * 3
