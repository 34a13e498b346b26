"""An in-memory ``SecretStore``: a "restart" keeps it when a test hands the same object on."""

from __future__ import annotations


class MemorySecrets:
    """A dict behind the ``SecretStore`` port."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value
