"""Many citizens at once on two real workers over PostgreSQL and Redis: nobody gets an error.

Each worker runs with tiny pools (4 Redis connections, 3 + 2 database connections) while 200
citizens write at the same moment, so requests must wait for a connection rather than fail: a
pool that refuses when it runs out (redis-py's default) answers most of them with a 500.
``make load`` runs this; ``python -m bench.load`` is the full-size version with its table.
"""

from __future__ import annotations

import pytest

from bench.load import run_users
from bench.workers import scratch_postgres, workers

pytestmark = pytest.mark.load

TINY_POOLS = {
    "MOTCUA_REDIS_MAX_CONNECTIONS": "4",
    "MOTCUA_DB_POOL_SIZE": "3",
    "MOTCUA_DB_MAX_OVERFLOW": "2",
}


async def test_200_citizens_at_once_on_two_workers_get_no_errors(
    postgres_url: str, redis_url: str
) -> None:
    async with (
        scratch_postgres(postgres_url) as database,
        workers(2, database_url=database, redis_url=redis_url, env=TINY_POOLS) as urls,
    ):
        result = await run_users(urls, users=200, messages=2)
    assert result.errors == []
    assert len(result.latencies) == 400
