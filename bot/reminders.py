"""Delivery of due reminders from the outbox table, across restarts and several workers.

A reminder is a row, not a timer: a worker claims due rows, runs each through the dialogs as an
``IncomingMessage`` carrying the reminder's payload, keeps the rendered replies with the row (in
the same transaction as the turn, so the dialog runs once), sends them through the user's
channel and marks the row done. The rows claimed together are rendered together, in one
transaction, and marked done a chunk at a time as they are sent (``RECORD_EVERY``), so a burst
of status notices does not cost three commits a citizen, and a worker dying mid-round sends
no more than one chunk a second time.
Retryable delivery errors put the row back with a growing delay.
A channel whose messaging window has closed (Messenger after 24 hours, Zalo after 7 days) refuses
the send: the row is held with its replies, and the dispatcher puts them before the answer to the
citizen's next message on that channel, since nothing the citizen asked for may be lost.

The same periodic worker also forgets old platform message ids, which only matter while a
platform may still redeliver a message, and deletes personal data past its retention period
(``bot.personal_data``: kept no longer than needed).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import logs
from bot.dispatcher import Dispatcher
from bot.metrics import Metrics
from bot.personal_data import Retention, purge
from bot.storage.database import Database
from bot.storage.inbox import SqlInbox
from bot.storage.reminders import Reminder, SqlReminders
from bot.supervision import rest
from dialogs.errors import DeliveryError, MotcuaError, OutsideWindow, RateLimited
from dialogs.messages import IncomingMessage, Reply
from dialogs.ports import Channel, Clock

logger = logging.getLogger(__name__)


# Platforms give up redelivering within a day; ids older than this are forgotten, hourly.
FORGET_MESSAGE_IDS_AFTER = timedelta(days=2)
FORGET_EVERY = timedelta(hours=1)


RECORD_EVERY = 20
"""Reminders a round sends before marking them done (one statement and one commit): a crash
between the sends and that commit sends these again, at most, rather than the whole round;
a hundred notices cost five such commits instead of one."""

DEFAULT_RETENTION = Retention(personal=timedelta(days=365), messages=timedelta(days=90))


class ClaimLost(MotcuaError):
    """Another worker took the reminder over (this worker's lease ran out)."""


Rendered = Sequence[Reply] | Exception
"""What rendering a reminder gave: its replies, or what it failed with."""


class ReminderWorker:
    """Claims due reminders and delivers them; ``run`` loops until told to stop."""

    def __init__(
        self,
        database: Database,
        dispatcher: Dispatcher,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        poll_interval: float = 5.0,
        batch: int = 100,
        record_every: int = RECORD_EVERY,
        lease: timedelta = timedelta(minutes=5),
        backoff: timedelta = timedelta(seconds=30),
        max_attempts: int = 6,
        retention: Retention = DEFAULT_RETENTION,
        metrics: Metrics | None = None,
    ) -> None:
        """Wire a worker.

        Args:
            channels: channel name -> adapter able to send proactively.
            poll_interval: seconds between looks at the table.
            batch: reminders claimed and rendered together at most. A burst of status
                notices (a thousand dossiers moved at once) comes in rounds of this many, one
                after the other, each costing the same few statements whatever its size (and
                one mark a chunk, ``record_every``): with 20 a round, a thousand notices took
                50 rounds.
            record_every: reminders sent before those sent are marked done, within a round:
                what a worker dying mid-round sends a second time, at most.
            lease: how long a claimed reminder stays with one worker before another may retry it.
            backoff: the first retry delay, doubled on every further attempt.
            max_attempts: deliveries tried before a reminder is marked failed.
            retention: how long personal data is kept before it is deleted.
            metrics: counts what is sent and what fails.
        """
        self._database = database
        self._dispatcher = dispatcher
        self._channels = channels
        self._clock = clock
        self._poll_interval = poll_interval
        self._batch = batch
        self._record_every = record_every
        self._lease = lease
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._retention = retention
        self._metrics = metrics or Metrics()
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look at the table now: a notice due at once was just added (a dossier's status)."""
        self._wake.set()

    async def run(self, until: asyncio.Event) -> None:
        """Deliver due reminders every ``poll_interval`` seconds, until ``until`` is set.

        The hourly housekeeping runs beside it (``_keep_house``): a burst of notices arriving
        while old rows are purged (on SQLite a purge holds the one writer for seconds) does not
        wait for the purge to end.
        """
        house = asyncio.create_task(self._keep_house(until), name="outbox-housekeeping")
        try:
            await self.run_rounds(until)
        finally:
            if not until.is_set():
                house.cancel()
            await asyncio.gather(house, return_exceptions=True)

    async def run_rounds(self, until: asyncio.Event, only: Collection[str] | None = None) -> None:
        """Deliver due reminders (of the channels ``only`` names, when given) every
        ``poll_interval`` seconds, until ``until`` is set, without the housekeeping: a session
        of one channel (``motcua chat``) delivers its own and leaves the rest to the workers."""
        while not until.is_set():
            # Cleared before the round: a wake-up arriving during it starts the next at once.
            self._wake.clear()
            with logs.unit_of_work():
                try:
                    await self.run_once(only)
                except Exception:
                    # Database errors hide their parameters; bot.logs redacts the rest.
                    logger.exception("reminder round failed")
            await rest(until, self._poll_interval, self._wake)

    async def _keep_house(self, until: asyncio.Event) -> None:
        """Every ``FORGET_EVERY``, until ``until`` is set: forget old platform message ids and
        delete personal data past its retention period."""
        while not until.is_set():
            with logs.unit_of_work():
                try:
                    await self.forget_old_message_ids()
                    await self.purge_personal_data()
                except Exception:
                    logger.exception("outbox housekeeping failed")
            await rest(until, FORGET_EVERY.total_seconds())

    async def run_once(self, only: Collection[str] | None = None) -> int:
        """Deliver every reminder due now (of the channels ``only`` names, when given);
        returns how many were delivered."""
        delivered = 0
        while True:
            async with self._database.transaction() as session:
                claimed = await SqlReminders(session).claim_due(
                    self._clock.now(), self._lease, self._batch, only
                )
            if not claimed:
                return delivered
            sent = asyncio.Event()
            renewal = asyncio.create_task(self._keep_lease(claimed, sent), name="outbox-lease")
            try:
                rendered = await self._render_all(claimed)
                for start in range(0, len(claimed), self._record_every):
                    delivered += await self._deliver_chunk(
                        claimed[start : start + self._record_every], rendered
                    )
            finally:
                sent.set()
                await renewal

    async def _deliver_chunk(
        self, chunk: Sequence[Reminder], rendered: Mapping[int, Rendered]
    ) -> int:
        """Send a chunk of the round and mark what its channels took done, before the next
        chunk is sent: a worker dying after a send resends at most this chunk.

        Conversations are served side by side (a burst of status changes must not wait on
        each platform call in turn); one conversation's notices keep their order, as the
        chunks go in the order the round was claimed.
        """
        queues: dict[str, list[Reminder]] = {}
        for reminder in chunk:
            queues.setdefault(reminder.ref.key, []).append(reminder)
        handed = await asyncio.gather(
            *(self._deliver_in_order(q, rendered) for q in queues.values())
        )
        taken = [reminder for q in handed for reminder in q]
        if not taken:
            return 0
        async with self._database.transaction() as session:
            return await SqlReminders(session).mark_done_all(taken, self._clock.now())

    async def _keep_lease(self, claimed: Sequence[Reminder], sent: asyncio.Event) -> None:
        """Renew the batch's lease until ``sent`` is set: a batch slowed down by a platform's
        rate limit must not be taken over, and sent a second time, by another worker."""
        while True:
            await rest(sent, self._lease.total_seconds() / 3)
            if sent.is_set():
                return
            try:
                async with self._database.transaction() as session:
                    await SqlReminders(session).renew(claimed, self._clock.now())
            except Exception as error:
                # Type only: database errors quote the statement's parameters.
                logger.warning("outbox lease renewal failed: %s", type(error).__name__)

    async def _deliver_in_order(
        self, reminders: Sequence[Reminder], rendered: Mapping[int, Rendered]
    ) -> list[Reminder]:
        """Send one conversation's reminders in turn; those handed to the channel."""
        handed = []
        for reminder in reminders:
            with logs.unit_of_work(f"reminder-{reminder.id}"):
                if await self._deliver(reminder, rendered.get(reminder.id)):
                    handed.append(reminder)
        return handed

    async def forget_old_message_ids(self) -> int:
        """Drop finished inbox rows older than ``FORGET_MESSAGE_IDS_AFTER``."""
        before = self._clock.now() - FORGET_MESSAGE_IDS_AFTER
        async with self._database.transaction() as session:
            return await SqlInbox(session).prune(before)

    async def purge_personal_data(self) -> dict[str, int]:
        """Delete personal data past its retention period; rows deleted per table."""
        return await purge(self._database, self._clock.now(), self._retention)

    async def _deliver(self, reminder: Reminder, rendered: Rendered | None) -> bool:
        """Send the reminder's replies (``rendered`` now, or kept from an earlier claim); True
        when the channel took them (the row is then marked done with its batch)."""
        channel = self._channels.get(reminder.ref.channel)
        if channel is None:
            await self._fail(reminder, "UnknownChannel")
            return False
        try:
            if isinstance(rendered, Exception):
                raise rendered
            replies = reminder.replies if rendered is None else rendered
            if replies:
                await channel.send(reminder.ref, replies)
        except ClaimLost:
            return False
        except OutsideWindow as error:
            self._metrics.send_failed(reminder.ref.channel, error)
            await self._hold(reminder, error)
            return False
        except DeliveryError as error:
            self._metrics.send_failed(reminder.ref.channel, error)
            if error.retryable:
                await self._retry(reminder, error)
            else:
                await self._fail(reminder, type(error).__name__)
            return False
        except Exception as error:
            self._metrics.send_failed(reminder.ref.channel, error)
            logger.error("reminder %s could not be delivered", reminder.id, exc_info=error)
            await self._retry(reminder, error)
            return False
        self._metrics.answered(reminder.ref.channel, len(replies or ()))
        return True

    async def _render_all(self, claimed: Sequence[Reminder]) -> dict[int, Rendered]:
        """Run the claimed reminders not rendered yet through the dialogs, together; the
        replies are stored with each row in the same transaction, so each renders once."""
        due = [r for r in claimed if r.replies is None and r.ref.channel in self._channels]
        if not due:
            return {}
        now = self._clock.now()
        messages = [self._message(reminder, now) for reminder in due]
        of_message = {m.message_id: r for m, r in zip(messages, due, strict=True)}

        async def keep(
            session: AsyncSession, rendered: Sequence[tuple[IncomingMessage, Sequence[Reply]]]
        ) -> None:
            """Keep the rendered replies with their rows, unless another worker claimed one
            since (then nothing of the turns is kept)."""
            kept = await SqlReminders(session).store_replies_all(
                [(of_message[message.message_id], replies) for message, replies in rendered]
            )
            if len(kept) != len(rendered):
                raise ClaimLost("a reminder was claimed by another worker")

        results = await self._dispatcher.handle_proactive_all(messages, keep)
        return {reminder.id: result for reminder, result in zip(due, results, strict=True)}

    @staticmethod
    def _message(reminder: Reminder, now: datetime) -> IncomingMessage:
        return IncomingMessage(
            ref=reminder.ref,
            payload=reminder.payload,
            message_id=f"reminder:{reminder.id}",
            received_at=now,
            internal=reminder.facts is not None,
            facts=reminder.facts,
        )

    async def _retry(self, reminder: Reminder, error: Exception) -> None:
        if reminder.attempts + 1 >= self._max_attempts:
            await self._fail(reminder, type(error).__name__)
            return
        delay = self._backoff * 2**reminder.attempts
        if isinstance(error, RateLimited):
            delay = max(delay, timedelta(seconds=error.retry_after))
        now = self._clock.now()
        logger.warning(
            "reminder %s: %s, retry in %ds",
            reminder.id,
            type(error).__name__,
            delay.total_seconds(),
        )
        async with self._database.transaction() as session:
            await SqlReminders(session).retry(reminder, now + delay, type(error).__name__, now)

    async def _hold(self, reminder: Reminder, error: OutsideWindow) -> None:
        logger.info(
            "reminder %s held until the user writes on channel %s",
            reminder.id,
            reminder.ref.channel,
        )
        async with self._database.transaction() as session:
            await SqlReminders(session).hold(reminder, type(error).__name__, self._clock.now())

    async def _fail(self, reminder: Reminder, reason: str) -> None:
        logger.error(
            "reminder %s to channel %s failed for good: %s",
            reminder.id,
            reminder.ref.channel,
            reason,
        )
        async with self._database.transaction() as session:
            await SqlReminders(session).mark_failed(reminder, reason, self._clock.now())
