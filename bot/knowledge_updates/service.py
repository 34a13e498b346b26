"""Uploads imported in the background, versions put in force, and every worker following them.

The import takes tens of seconds of CPU, so an upload is kept first (the console answers at
once and its page follows the import) and imported in a thread of the worker that took it.
The version in force is in the database: each worker looks every ``interval`` seconds and
switches to it when it changed, so all workers serve the same procedures within that time,
and a worker started later serves it from its first answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from sqlalchemy.exc import IntegrityError

from bot.knowledge_updates.build import rebuild, shipped_sources
from bot.knowledge_updates.store import SqlKnowledgeVersions
from bot.storage.database import Database
from bot.storage.staff import SqlStaff, Staff
from bot.supervision import rest
from dialogs.ports import Clock
from knowledge.model import Procedure
from knowledge.store import decode_knowledge_base

logger = logging.getLogger(__name__)

FOLLOW_SECONDS = 30.0
"""How often a worker looks for a version put in force by another worker."""


@runtime_checkable
class Replaceable(Protocol):
    """A knowledge base whose procedures can be replaced while it serves."""

    @property
    def procedures(self) -> tuple[Procedure, ...]:
        """The procedures served now."""
        ...

    def replace(self, procedures: Iterable[Procedure]) -> None:
        """Serve these procedures from now on."""
        ...


class KnowledgeUpdates:
    """Imports uploads and keeps this worker's knowledge base on the version in force."""

    def __init__(
        self,
        database: Database,
        knowledge: object,
        clock: Clock,
        sources: Path | None = None,
        *,
        interval: float = FOLLOW_SECONDS,
    ) -> None:
        self._database = database
        self._knowledge = knowledge if isinstance(knowledge, Replaceable) else None
        self._clock = clock
        self._sources = sources
        self._interval = interval
        self._imports: set[asyncio.Task[None]] = set()
        self.served: int | None = None
        """The version this worker serves; None for the knowledge base it started with."""

    @property
    def enabled(self) -> bool:
        """Whether this knowledge base can take a new version (the shipped one can)."""
        return self._knowledge is not None

    def shipped(self) -> list[str]:
        """The names of the source files shipped with motcua."""
        return list(shipped_sources(self._sources))

    async def upload(self, files: Mapping[str, bytes], staff: Staff) -> int:
        """Keep the uploaded files as a new version and start importing it."""
        now = self._clock.now()
        async with self._database.transaction() as session:
            version_id = await SqlKnowledgeVersions(session).start(files, staff.id, now)
            await SqlStaff(session).audit(staff, "kb_upload", now, target=f"kb:{version_id}")
        task = asyncio.create_task(self._import(version_id), name=f"kb-import-{version_id}")
        self._imports.add(task)
        task.add_done_callback(self._imports.discard)
        return version_id

    async def apply(self, version_id: int, staff: Staff) -> bool:
        """Put a staged version in force; this worker serves it at once, the others soon.

        False when it is no longer staged, or another version was put in force at that moment.
        """
        now = self._clock.now()
        try:
            async with self._database.transaction() as session:
                if not await SqlKnowledgeVersions(session).apply(version_id, staff.id, now):
                    return False
                await SqlStaff(session).audit(staff, "kb_apply", now, target=f"kb:{version_id}")
        except IntegrityError:
            return False
        await self.follow()
        return True

    async def discard(self, version_id: int, staff: Staff) -> bool:
        """Drop a staged or failed version."""
        now = self._clock.now()
        async with self._database.transaction() as session:
            if not await SqlKnowledgeVersions(session).discard(version_id, now):
                return False
            await SqlStaff(session).audit(staff, "kb_discard", now, target=f"kb:{version_id}")
        return True

    async def follow(self) -> None:
        """Serve the version in force if this worker does not yet; a failure is logged and
        the knowledge base served so far stays (the next look tries again)."""
        if self._knowledge is None:
            return
        try:
            async with self._database.transaction() as session:
                versions = SqlKnowledgeVersions(session)
                current = await versions.in_force_id()
                if current is None or current == self.served:
                    return
                data = await versions.data(current)
            if data is None:
                return
            procedures = await asyncio.to_thread(decode_knowledge_base, data, f"version {current}")
            await asyncio.to_thread(self._knowledge.replace, procedures)
        except Exception:
            logger.exception("following the knowledge version in force failed")
            return
        self.served = current
        logger.info("knowledge version %s in force: %s procedures", current, len(procedures))

    async def run(self, until: asyncio.Event) -> None:
        """Follow the version in force every ``interval`` seconds until ``until`` is set."""
        while not until.is_set():
            await rest(until, self._interval)
            if not until.is_set():
                await self.follow()

    async def join(self, grace: float | None = None) -> None:
        """Wait for the imports this worker has under way; past ``grace`` seconds they are
        cancelled (at shutdown: the upload is then shown as interrupted)."""
        if not self._imports:
            return
        _done, late = await asyncio.wait(set(self._imports), timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    async def _failed(self, version_id: int, reason: str) -> None:
        async with self._database.transaction() as session:
            await SqlKnowledgeVersions(session).failed(version_id, reason, self._clock.now())

    async def _import(self, version_id: int) -> None:
        async with self._database.transaction() as session:
            uploaded = await SqlKnowledgeVersions(session).sources(version_id)
        current = self._knowledge.procedures if self._knowledge is not None else ()
        try:
            built = await asyncio.to_thread(
                rebuild, shipped_sources(self._sources), uploaded, current
            )
        except (OSError, EOFError, ValueError) as error:  # what the files hold, told as is
            logger.warning("knowledge import %s failed: %s", version_id, type(error).__name__)
            await self._failed(version_id, str(error))
            return
        except Exception:
            logger.exception("knowledge import %s failed", version_id)
            await self._failed(version_id, "the files could not be imported")
            return
        async with self._database.transaction() as session:
            await SqlKnowledgeVersions(session).staged(
                version_id, built.data, built.summary, self._clock.now()
            )
