"""Per-conversation locks (in-process and Redis) and Redis message-id claims."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.locks import ConversationLocks, LocalLocks, LockTimeout, RedisLocks, RedisMessageClaims


@pytest.fixture(params=["local", "redis"])
def locks(request: pytest.FixtureRequest) -> ConversationLocks:
    if request.param == "local":
        return LocalLocks()
    redis: Redis = request.getfixturevalue("redis")
    prefix: str = request.getfixturevalue("redis_prefix")
    return RedisLocks(redis, prefix=prefix, wait=10)


async def test_one_holder_per_conversation(locks: ConversationLocks) -> None:
    inside: list[str] = []
    overlaps = 0

    async def worker(name: str) -> None:
        nonlocal overlaps
        async with locks.hold("telegram:1"):
            overlaps += len(inside)
            inside.append(name)
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            inside.remove(name)

    await asyncio.gather(*(worker(str(n)) for n in range(8)))
    assert overlaps == 0


async def test_other_conversations_are_not_blocked(locks: ConversationLocks) -> None:
    async with locks.hold("telegram:1"):
        async with asyncio.timeout(5):
            async with locks.hold("telegram:2"):
                pass


async def test_local_locks_are_forgotten_when_free() -> None:
    locks = LocalLocks()
    async with locks.hold("web:a"):
        assert len(locks) == 1
    assert len(locks) == 0


async def test_a_lock_held_elsewhere_times_out_clearly(redis: Redis, redis_prefix: str) -> None:
    first = RedisLocks(redis, prefix=redis_prefix, wait=0.2)
    second = RedisLocks(redis, prefix=redis_prefix, wait=0.2)
    async with first.hold("zalo:9"):
        with pytest.raises(LockTimeout):
            async with second.hold("zalo:9"):
                pass


async def test_a_message_id_is_claimed_once_until_released(redis: Redis, redis_prefix: str) -> None:
    claims = RedisMessageClaims(redis, prefix=redis_prefix)
    assert await claims.claim("telegram", "77")
    assert not await claims.claim("telegram", "77")
    assert await claims.claim("messenger", "77")
    await claims.release("telegram", "77")
    assert await claims.claim("telegram", "77")
    assert 0 < await redis.ttl(f"{redis_prefix}telegram:77") <= 86400
