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

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

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


Answer = Callable[[Any], None]
"""Told what Redis answered to a command sent with ``Trips.later`` (an exception if it failed)."""


class Trips:
    """This process's commands to Redis, with those whose answers nobody waits for riding along.

    A conversation lock's release needs no answer before its turn goes on, and the Telegram
    reply that follows asks Redis for its place in the bot-wide pace a moment later: the
    release waits for that command (or any other this process sends) and both go in one round
    trip, a pipeline, instead of one each. A release with nothing to ride with goes alone at
    the event loop's next turn, so it is never later than that.
    """

    def __init__(self, redis: Redis) -> None:
        self._redis = redis
        self._riders: list[tuple[tuple[Any, ...], Answer]] = []
        self._flushing: set[asyncio.Task[None]] = set()

    def later(self, answer: Answer, *command: Any) -> None:
        """Send ``command`` with the next one, or alone at the loop's next turn; ``answer`` is
        told what Redis said."""
        if not self._riders:
            asyncio.get_running_loop().call_soon(self._flush_alone)
        self._riders.append((command, answer))

    async def execute(self, *command: Any) -> Any:
        """Send ``command`` with the commands waiting to ride along; what Redis answered it."""
        if not self._riders:
            return await self._redis.execute_command(*command)
        riders, self._riders = self._riders, []
        answers = await self._send(riders, command)
        if isinstance(answers[-1], Exception):
            raise answers[-1]
        return answers[-1]

    async def _send(
        self, riders: list[tuple[tuple[Any, ...], Answer]], command: tuple[Any, ...] | None
    ) -> list[Any]:
        """Send the riders (and ``command``) in one pipeline; tell each rider its answer."""
        pipe = self._redis.pipeline(transaction=False)
        for args, _ in riders:
            pipe.execute_command(*args)
        if command is not None:
            pipe.execute_command(*command)
        try:
            answers = await pipe.execute(raise_on_error=False)
        except BaseException as error:
            for _, answer in riders:
                answer(error)
            raise
        for (_, answer), said in zip(riders, answers, strict=False):
            answer(said)
        return list(answers)

    def _flush_alone(self) -> None:
        if not self._riders:
            return  # they rode along with a command
        riders, self._riders = self._riders, []
        task = asyncio.create_task(self._send_alone(riders), name="redis-riders")
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)

    async def _send_alone(self, riders: list[tuple[tuple[Any, ...], Answer]]) -> None:
        with contextlib.suppress(Exception):  # each rider was told
            await self._send(riders, None)
