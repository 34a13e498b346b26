"""Per-conversation locks, in-process and Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis
from support.waiting import eventually

from bot.locks import ConversationLocks, LocalLocks, LockTimeout
from bot.redis_locks import RedisLocks


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


async def test_a_held_lock_is_renewed_past_its_expiry(redis: Redis, redis_prefix: str) -> None:
    holder = RedisLocks(redis, prefix=redis_prefix, expire=0.3)
    waiter = RedisLocks(redis, prefix=redis_prefix, wait=0.2)
    async with holder.hold("web:slow"):
        await asyncio.sleep(0.6)  # twice the expiry: still held, because the holder renews it
        with pytest.raises(LockTimeout):
            async with waiter.hold("web:slow"):
                pass


async def test_a_dead_holders_lock_frees_itself(redis: Redis, redis_prefix: str) -> None:
    # What a worker killed while holding a lock leaves behind: a token and an expiry.
    await redis.set(f"{redis_prefix}web:orphan", "dead-worker-token", px=300)
    locks = RedisLocks(redis, prefix=redis_prefix, wait=2)
    async with asyncio.timeout(1.5), locks.hold("web:orphan"):
        assert await redis.get(f"{redis_prefix}web:orphan") != b"dead-worker-token"


async def test_locks_are_released_whenever_their_turns_end(redis: Redis, redis_prefix: str) -> None:
    # Turns end at any moment of their locks' renewals, some while a renewal waits for Redis:
    # each block must still end and free its conversation, not keep renewing it for ever.
    locks = RedisLocks(redis, prefix=redis_prefix, expire=0.03)  # renewed every 10 ms

    async def turns(chat: int) -> None:
        for turn in range(40):
            async with locks.hold(f"telegram:{chat}"):
                await asyncio.sleep((chat * 7 + turn * 13) % 50 / 1000)

    async with asyncio.timeout(30):  # some 4 s on a busy machine; hung for ever before
        await asyncio.gather(*(turns(chat) for chat in range(50)))

    async def all_free() -> bool:  # the last releases ride to Redis a moment after their turns
        return await redis.keys(f"{redis_prefix}*") == []

    await eventually(all_free, within=5)


async def test_a_released_lock_is_free_for_another_worker_long_before_its_expiry(
    redis: Redis, redis_prefix: str
) -> None:
    # The release rides with this worker's next command to Redis, or goes alone right after.
    first = RedisLocks(redis, prefix=redis_prefix, expire=60)
    second = RedisLocks(redis, prefix=redis_prefix, wait=0.5)
    for _ in range(3):
        async with first.hold("telegram:7"):
            pass
        async with second.hold("telegram:7"):
            pass
