"""Recording accepted sends in groups: one commit for whatever came back while the last ran.

A commit per message held a broadcast to the database's pace (SQLite: one writer, a few
milliseconds a commit), far below Telegram's 1,000 messages a second for paid broadcasts.
Each accepted send is handed to a ``SentRecorder``, which writes all it holds in one
transaction (one UPDATE of the deliveries, one INSERT into the conversations' log) and then
takes whatever arrived meanwhile. Nothing waits on a timer: at a low rate every group is one
message, committed as soon as it came back, so the window a crash can repeat (the platform
accepted, the commit did not happen) stays as short as one commit, and at a high rate it
holds what came back during one commit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from bot.announcements.store import Claimed, SqlDeliveries
from bot.storage.database import Database
from bot.storage.message_log import SqlMessageLog
from dialogs.messages import Reply

logger = logging.getLogger(__name__)


class SentRecorder:
    """Commits accepted sends in groups, in a task of its own while the ``async with`` lasts.

    Leaving the block writes everything handed in before it returns.
    """

    def __init__(self, database: Database, now: Callable[[], datetime]) -> None:
        self._database = database
        self._now = now
        self._waiting: list[tuple[Claimed, tuple[Reply, ...], asyncio.Future[bool]]] = []
        self._arrived = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task[None] | None = None

    def add(self, delivery: Claimed, replies: tuple[Reply, ...]) -> asyncio.Future[bool]:
        """A send the platform accepted, to be recorded with the next group.

        The future is done once that group is committed (True) or was found another worker's
        (False: its claim had lapsed); it holds the error if the commit failed.
        """
        recorded = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, replies, recorded))
        self._arrived.set()
        return recorded

    async def __aenter__(self) -> SentRecorder:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._closing = True
        self._arrived.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        while self._waiting or not self._closing:
            if not self._waiting:
                await self._arrived.wait()
                self._arrived.clear()
                continue
            group, self._waiting = self._waiting, []
            try:
                settled = await self._record([(delivery, sent) for delivery, sent, _ in group])
            except Exception as error:  # not recorded: the lease brings them back (a repeat)
                logger.exception("%d announcement deliveries not settled", len(group))
                for _, _, recorded in group:
                    recorded.set_exception(error)
            else:
                for delivery, _, recorded in group:
                    recorded.set_result(delivery in settled)

    async def _record(self, group: list[tuple[Claimed, tuple[Reply, ...]]]) -> set[Claimed]:
        now = self._now()
        replies = dict(group)
        async with self._database.transaction() as session:
            settled = await SqlDeliveries(session).settle_sent(list(replies), now)
            # The log rows are the web chat's messages: written with the outcome, exactly once.
            await SqlMessageLog(session).record_sent(
                ((delivery.ref, replies[delivery]) for delivery in settled), now
            )
        return set(settled)
