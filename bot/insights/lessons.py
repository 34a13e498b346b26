"""The lessons staff taught, kept in force in this worker's knowledge base.

The search is pure and in memory, the lessons live in the database: this worker reads them at
start, again right after its own staff change one, and every few seconds for what staff
taught through another worker.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from bot.insights import store
from bot.storage.database import Database
from bot.supervision import rest
from knowledge.taught import Lesson

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 5.0
"""How stale another worker's lesson may be here: the next citizen on this worker gets it
within this time."""


@runtime_checkable
class Teachable(Protocol):
    """A knowledge base that takes the lessons staff taught (``LocalKnowledgeBase``)."""

    def teach(self, lessons: Iterable[Lesson]) -> None:
        """Put these lessons in force, replacing the previous set."""
        ...


class LessonBook:
    """Loads the lessons into a knowledge base; ``run`` keeps them fresh until told to stop."""

    def __init__(self, database: Database, knowledge: object) -> None:
        self._database = database
        self._knowledge = knowledge if isinstance(knowledge, Teachable) else None

    async def refresh(self) -> None:
        """Read every lesson and put them in force at once."""
        if self._knowledge is None:
            return
        async with self._database.transaction() as session:
            taught = await store.lessons(session)
        self._knowledge.teach(store.in_force(taught))

    async def load(self) -> None:
        """Refresh, logging a failure instead of raising it (a schema not yet upgraded, a
        database down): the assistant answers without the lessons until the next read."""
        try:
            await self.refresh()
        except Exception:
            logger.exception("reading the taught lessons failed")

    async def run(self, until: asyncio.Event, interval: float = REFRESH_SECONDS) -> None:
        """Load the lessons every ``interval`` seconds until ``until`` is set."""
        while not until.is_set():
            await rest(until, interval)
            if not until.is_set():
                await self.load()
