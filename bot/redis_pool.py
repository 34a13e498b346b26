"""The one Redis client of a process, over a bounded pool that waits instead of failing.

Every user of Redis in a worker (conversation locks, message claims, the Telegram sending
budget) shares this client, so the process holds at most ``max_connections`` connections however
many citizens write at once. When all are busy a command waits up to ``timeout`` seconds for
one to come back: a burst of users is slowed a little instead of answered with errors, which is
what redis-py's default pool does when it runs out. A Redis that is away is noticed within
``CONNECT_TIMEOUT`` seconds (refused at once, or an address that swallows packets), and a command
Redis stops answering within ``COMMAND_TIMEOUT``, so its users fall back instead of hanging.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis

CONNECT_TIMEOUT = 2.0
COMMAND_TIMEOUT = 5.0


def shared_redis(url: str, *, max_connections: int, timeout: float) -> Redis:
    """A client on a new blocking pool of ``max_connections``; close it with ``aclose()``."""
    pool = BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=timeout,
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=COMMAND_TIMEOUT,
    )
    # The client owns the pool: closing the client disconnects every pooled connection.
    return Redis.from_pool(pool)
