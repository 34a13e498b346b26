"""Platform secrets survive a restart (Zalo rotates its refresh token on every use)."""

from __future__ import annotations

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
