"""An in-memory ``SecretStore``: a "restart" keeps it when a test hands the same object on."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager


class MemorySecrets:
    """A dict behind the ``SecretStore`` port."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def add(self, key: str, value: str) -> str:
        return self.values.setdefault(key, value)

    def exclusive(self, key: str) -> AbstractAsyncContextManager[None]:
        return self._lock

    async def get(self, key: str) -> str | None:
        return self.values.get(key)

    async def set(self, key: str, value: str) -> None:
        self.values[key] = value
