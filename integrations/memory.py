"""In-process state for an adapter running alone (one process, no database handed to it).

The composition root always gives adapters the database-backed stores, which every worker
shares; these serve an adapter built on its own, as the single-process default.
"""

from __future__ import annotations


class LocalUnreachableUsers:
    """``dialogs.ports.UnreachableUsers`` as a set in this process."""

    def __init__(self) -> None:
        self._users: set[str] = set()

    async def add(self, user_id: str) -> None:
        """Remember ``user_id`` as unreachable."""
        self._users.add(user_id)

    async def discard(self, user_id: str) -> None:
        """Forget ``user_id``."""
        self._users.discard(user_id)

    async def contains(self, user_id: str) -> bool:
        """Whether ``user_id`` is remembered as unreachable."""
        return user_id in self._users
