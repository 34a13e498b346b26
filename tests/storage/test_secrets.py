"""Platform secrets survive a restart (Zalo rotates its refresh token on every use)."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.database import Database
from bot.storage.secrets import SqlSecretStore
from dialogs.ports import SecretStore


async def test_a_rotated_secret_survives_a_restart(database: Database, database_url: str) -> None:
    store: SecretStore = SqlSecretStore(database)
    assert await store.get("zalo:refresh_token") is None
    await store.set("zalo:refresh_token", "first")
    await store.set("zalo:refresh_token", "rotated")
    await store.set("telegram:webhook_secret", "s3cret")

    async with Database(database_url) as restarted:
        again: SecretStore = SqlSecretStore(restarted)
        assert await again.get("zalo:refresh_token") == "rotated"
        assert await again.get("telegram:webhook_secret") == "s3cret"


async def test_workers_adding_a_secret_at_once_all_get_the_first_one(database_url: str) -> None:
    async with Database(database_url) as one, Database(database_url) as other:
        stores = [SqlSecretStore(one), SqlSecretStore(other)] * 2
        kept = await asyncio.gather(
            *(store.add("telegram.webhook_secret", f"s-{n}") for n, store in enumerate(stores))
        )
    assert len(set(kept)) == 1
    assert kept[0] in {f"s-{n}" for n in range(4)}


async def test_one_worker_at_a_time_holds_a_secret(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite serves one worker process, whose Database holds its locks")
    order: list[str] = []

    async def hold(store: SecretStore, name: str, entered: asyncio.Event | None) -> None:
        async with store.exclusive("zalo:tokens"):
            order.append(f"{name} in")
            if entered is not None:
                entered.set()
                await asyncio.sleep(0.3)
            order.append(f"{name} out")

    async with Database(database_url) as one, Database(database_url) as other:
        entered = asyncio.Event()
        first = asyncio.create_task(hold(SqlSecretStore(one), "first", entered))
        await entered.wait()
        await asyncio.gather(first, hold(SqlSecretStore(other), "second", None))
    assert order == ["first in", "first out", "second in", "second out"]
