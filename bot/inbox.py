"""The durable inbox: what platforms hand over is committed before they are answered, then
processed from the table by whichever worker is alive.

A channel calls :meth:`DurableInbox.accept` before it answers its platform's webhook (or, for
Telegram polling, before the offset moves on), so a crash right after the 200 loses nothing: the
row is still pending when a worker starts again. Workers lease rows (owner and expiry, renewed
while they work), the oldest open row of each conversation first, so one user's messages are
answered in order whichever worker takes them. The turn marks its row answered in its own
transaction: the deduplication mark and the turn's effects are committed together or not at
all, and a redelivery of an answered message changes nothing. A platform that refuses the
replies for a while (429, 5xx, unreachable) gets them again later from the kept row, without a
second turn, and only the platform messages it had not accepted: each acceptance but a reply's
last is recorded on the row before the next message is sent (``DurableInbox._progressed``).

A channel whose messages need no answer (the portal's events) may be worked through in batches
instead: the rows claimed together are applied in one transaction, each marked done in it, so a
burst of them costs one commit rather than one each (see :data:`BatchTurn`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from types import TracebackType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import logs
from bot.batches import GroupCommit
from bot.dispatcher import TurnHook
from bot.locks import LockTimeout
from bot.metrics import Metrics
from bot.storage.database import Database, unreachable
from bot.storage.inbox import ANSWERED, DONE, FAILED, PENDING, ClaimLost, InboxEntry, SqlInbox
from bot.supervision import FIRST_PAUSE, supervised
from dialogs.errors import DeliveryError, RateLimited
from dialogs.messages import IncomingMessage, Reply
from dialogs.ports import Clock, Responder

logger = logging.getLogger(__name__)

Turn = Callable[[IncomingMessage, TurnHook], Awaitable[Sequence[Reply]]]
"""Runs one turn, committing ``hook``'s writes with it (``Dispatcher.handle``)."""

MarkDone = Callable[[AsyncSession, Sequence[IncomingMessage]], Awaitable[None]]
"""Marks the rows of these messages done in the caller's transaction, with one statement.

Raises:
    ClaimLost: one of them is no longer this worker's; the transaction must roll back.
"""

BatchTurn = Callable[[Sequence[IncomingMessage], MarkDone], Awaitable[Sequence[bool]]]
"""Applies several messages of a channel that answers nothing, committing each with its row
marked done (``MarkDone``); whether each was applied (one that was not stays leased, to be
tried again)."""

ReceiptTurn = Callable[[AsyncSession, Sequence[IncomingMessage]], Awaitable[Callable[[], None]]]
"""Applies new messages of a channel that answers nothing inside the transaction that keeps
them (the portal's events, as they are received); what to call once it has committed."""

KeepTurn = Callable[[AsyncSession, Sequence[IncomingMessage]], Awaitable[None]]
"""Writes a channel adds to the transaction that keeps its new messages (Telegram: whoever
writes can be written to again), instead of a transaction of their own before it."""

UNITS_BESIDE_TURNS = 4
"""Units of work the inbox runs beside the turns, each one at a time: keeping new messages,
claiming rows, marking them done, recording replies' progress. A worker admitting as many
turns as its pool keeps connections had these open a connection each time every turn was
under way, and close it after: 63 PostgreSQL sessions during a load of a thousand messages on
one worker, 81 on two (``bench/throughput.md``)."""

MAX_ATTEMPTS = 5
"""Claims of one row before it is given up (a message that always crashes its worker)."""

BUSY_PAUSE = timedelta(seconds=1)
"""How long a message whose conversation another worker kept busy waits before its next try."""

SEND_PAUSE_CAP = timedelta(minutes=1)
"""The longest wait between two sends of replies a platform refused for a while (429, 5xx)."""

FINISH_PAUSE = 0.5
"""Seconds between two tries to mark sent replies done while the database does not answer."""

REPLY_DEADLINE = timedelta(days=1)
"""Replies a platform still refuses this long after the message arrived are given up."""

BATCH = 500
"""Messages kept, or marked done, with one statement at most (SQLite takes some 32,000
parameters in one); also the rows of batched channels claimed at once, beside the
``concurrency`` turns."""


@dataclass(frozen=True, slots=True)
class _ToKeep:
    """A message waiting to be kept, with its message id, the id of its request, and whether
    it is reserved for this worker (its request waits here for the replies)."""

    message: IncomingMessage
    message_id: str
    request_id: str
    reserved: bool


@dataclass(slots=True)
class _RowProgress:
    """A kept row's ``Progress``: the count it was claimed with, each acceptance recorded on
    the row (``DurableInbox._progressed``)."""

    sent: int
    record: Callable[[int], Awaitable[None]]

    async def accepted(self, count: int) -> None:
        """Record it on the row before the next message is sent."""
        await self.record(count)


class DurableInbox:
    """The ``Inbox`` port on the ``inbox`` table, with the loop that works through it.

    Use it as an async context manager: the loop runs inside the block, and on leaving it the
    messages being worked on are finished for up to ``shutdown_grace`` seconds (what is not
    finished stays pending for the next worker). The loop is supervised
    (``bot.supervision``): should it die, that is logged and it starts again.
    """

    def __init__(
        self,
        database: Database,
        turn: Turn,
        clock: Clock,
        *,
        lease: timedelta = timedelta(seconds=10),
        poll_interval: float = 1.0,
        concurrency: int = 32,
        shutdown_grace: float = 10.0,
        restart_pause: float = FIRST_PAUSE,
        metrics: Metrics | None = None,
        batches: Mapping[str, BatchTurn] | None = None,
        on_receipt: Mapping[str, ReceiptTurn] | None = None,
    ) -> None:
        """Wire the inbox.

        Args:
            database: where the inbox rows live (the turn's database).
            turn: runs a message's turn with extra writes in its transaction.
            clock: stamps rows and leases.
            lease: how long a claimed row stays with this worker unless renewed; the holder
                renews it every third of it, so only a dead worker's claim runs out.
            poll_interval: seconds between looks for rows other workers accepted or left.
            concurrency: conversations worked on at once.
            shutdown_grace: seconds given to the messages in hand when the block ends.
            restart_pause: seconds before the loop starts again after it died.
            metrics: counts messages kept and answered, latency and failed sends.
            batches: channel -> the turn that applies several of its messages together, for
                channels that answer nothing (nobody waits for their replies).
            on_receipt: channel -> the turn that applies its new messages in the transaction
                that keeps them, for channels that answer nothing: a burst of them then costs
                one transaction and one commit, not a keep, a claim and an apply, and nothing
                waits for the loop to take them. A message whose conversation has a row still
                open, or a batch that could not be applied, is kept for ``batches`` instead.
        """
        self._database = database
        self._turn = turn
        self._clock = clock
        self._lease = lease
        self._poll_interval = poll_interval
        self._concurrency = concurrency
        self._shutdown_grace = shutdown_grace
        self._restart_pause = restart_pause
        self._metrics = metrics or Metrics()
        self._batches = dict(batches or {})
        self._on_receipt = dict(on_receipt or {})
        self._on_keep: dict[str, KeepTurn] = {}
        self.owner = f"{uuid.uuid4().hex[:16]}"
        self._responders: dict[str, Responder] = {}
        self._arrived = asyncio.Event()
        self._working: set[asyncio.Task[None]] = set()
        self._waiters: dict[int, asyncio.Future[Sequence[Reply]]] = {}
        self._loop: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._claiming = False
        # Rows whose work is under way, their leases renewed together by one loop (a task and
        # a timer per message cost more than the turn's own statements).
        self._in_hand: dict[int, int] = {}
        self._renewals: asyncio.Task[None] | None = None
        self._left = asyncio.Event()
        self._keeping = GroupCommit(self._keep_all, "inbox messages kept", limit=BATCH)
        self._finishing = GroupCommit(self._finish_all, "inbox messages marked done", limit=BATCH)
        self._progressing = GroupCommit(
            self._progress_all, "inbox replies' progress recorded", limit=BATCH
        )

    def subscribe(self, channel: str, respond: Responder) -> None:
        """Send the replies to ``channel``'s messages through ``respond``."""
        self._responders[channel] = respond

    def keep_with(self, channel: str, writes: KeepTurn) -> None:
        """Run ``writes`` for ``channel``'s new messages in the transaction that keeps them: a
        burst then costs one commit, where writes of their own before it cost two."""
        self._on_keep[channel] = writes

    async def accept(self, message: IncomingMessage) -> bool:
        """Commit the message to the inbox; False when its (channel, message id) came before."""
        return (await self._keep(message, reserve=False))[1]

    async def answer(self, message: IncomingMessage, patience: float) -> Sequence[Reply] | None:
        """Commit the message and wait up to ``patience`` seconds for its turn's replies.

        The message is reserved for this worker for one ``poll_interval``: its turn's replies
        wake this wait the moment they commit, whereas another worker's are only seen at the
        next look, up to ``poll_interval`` later (under load, at p99, that was the whole
        latency). Should this worker be too busy to take it meanwhile, any worker may.
        """
        entry_id, new = await self._keep(message, reserve=True)
        loop = asyncio.get_running_loop()
        waiter = self._waiters.setdefault(entry_id, loop.create_future())
        deadline = loop.time() + patience
        look = not new  # a new row cannot have been answered yet
        try:
            while True:
                if look:
                    entry = await self._get(entry_id)
                    if entry is None or entry.status == FAILED:
                        return None
                    if entry.status in (ANSWERED, DONE):
                        return entry.replies or ()
                look = True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return None
                # Woken by this worker's turn, or looking again for another worker's.
                try:
                    return await asyncio.wait_for(
                        asyncio.shield(waiter), min(remaining, self._poll_interval)
                    )
                except TimeoutError:
                    continue
        finally:
            if self._waiters.get(entry_id) is waiter and not waiter.done():
                del self._waiters[entry_id]

    async def join(self) -> None:
        """Wait until no row this worker could take is left, and its work in hand is done."""
        while True:
            if self._working or self._claiming:  # rows claimed become tasks just after
                await asyncio.gather(*self._working, asyncio.sleep(0.01), return_exceptions=True)
                continue
            if self._loop is None or self._loop.done():
                return
            async with self._database.transaction() as session:
                waiting = await SqlInbox(session).has_claimable(self._clock.now(), self.owner)
            if not waiting and not self._working and not self._claiming:
                return  # (the loop may have taken a row while the table was looked at)
            await asyncio.sleep(0.02)

    async def __aenter__(self) -> DurableInbox:
        self._stopping.clear()
        self._left.clear()
        self._renewals = asyncio.create_task(self._renew(), name="inbox-leases")
        self._loop = asyncio.create_task(
            supervised("inbox", self.run, self._stopping, first_pause=self._restart_pause),
            name="inbox",
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None:
            # Stopped between two rounds, not cancelled: a cancellation inside the claim's
            # unit of work can hang on SQLite (see ``bot.supervision``).
            self._stopping.set()
            self._arrived.set()
            await asyncio.gather(self._loop, return_exceptions=True)
        if self._working:
            _done, late = await asyncio.wait(self._working, timeout=self._shutdown_grace)
            for task in late:  # left pending in the table for the next worker
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._renewals is not None:
            self._left.set()
            await asyncio.gather(self._renewals, return_exceptions=True)

    async def run(self) -> None:
        """Take rows as they arrive (or every ``poll_interval``) until the inbox is left."""
        while not self._stopping.is_set():
            self._arrived.clear()
            room = self._concurrency - len(self._working)
            claimed: list[InboxEntry] = []
            if room > 0:
                self._claiming = True
                try:
                    async with self._database.transaction() as session:
                        claimed = await SqlInbox(session).claim(
                            self.owner,
                            self._clock.now(),
                            self._lease,
                            room,
                            batched=self._batches,
                            batch_limit=BATCH if self._batches else 0,
                        )
                except Exception as error:
                    # Type only: database errors quote the statement's parameters.
                    logger.error("inbox claim failed: %s", type(error).__name__)
                finally:
                    self._claiming = False
                for work in self._works(claimed):
                    task = asyncio.create_task(work, name="inbox-turn")
                    self._working.add(task)
                    task.add_done_callback(self._finished)
            if not claimed and not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._arrived.wait(), self._poll_interval)

    def _works(self, claimed: Sequence[InboxEntry]) -> list[Coroutine[Any, Any, None]]:
        """The claimed rows' work: one turn each, or one batch per batched channel."""
        works: list[Coroutine[Any, Any, None]] = []
        together: dict[str, list[InboxEntry]] = {}
        for entry in claimed:
            if entry.message.ref.channel in self._batches:
                together.setdefault(entry.message.ref.channel, []).append(entry)
            else:
                works.append(self._work(entry))
        for channel, entries in together.items():
            works.append(self._work_batch(self._batches[channel], entries))
        return works

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._working.discard(task)
        self._arrived.set()  # the conversation's next message may be taken now

    async def _keep(self, message: IncomingMessage, *, reserve: bool) -> tuple[int, bool]:
        """The message's row id, and whether it was new; committed before returning.

        Messages handed over meanwhile are kept together, in one transaction (group commit):
        a burst of webhooks then waits for one commit, not for a thousand in turn; should a
        batch fail, its messages are kept one by one, so one bad message fails only its own
        webhook.
        """
        # A message without a platform id cannot be recognised again: it gets one of its own.
        message_id = message.message_id or f"inbox:{uuid.uuid4().hex}"
        return await self._keeping(_ToKeep(message, message_id, logs.ensure_request_id(), reserve))

    async def _keep_all(self, batch: Sequence[_ToKeep]) -> list[tuple[int, bool]]:
        """Keep the batch in one transaction; each message's row id and whether it was new.

        The new messages of ``on_receipt`` channels are applied in that transaction too; should
        that fail, the batch is kept without applying them, for the loop to apply as usual.
        """
        if any(item.message.ref.channel in self._on_receipt for item in batch):
            try:
                return await self._keep_batch(batch, apply=True)
            except Exception as error:
                if unreachable(error):
                    raise
                # Type only: database errors quote the statement's parameters.
                logger.warning("inbox messages kept to be applied later: %s", type(error).__name__)
        return await self._keep_batch(batch, apply=False)

    async def _keep_batch(self, batch: Sequence[_ToKeep], *, apply: bool) -> list[tuple[int, bool]]:
        """Keep the batch, applying the new messages of ``on_receipt`` channels with ``apply``."""
        kept: list[tuple[int, bool]] = []
        applied: list[int] = []
        committed: list[Callable[[], None]] = []
        now = self._clock.now()
        async with self._database.transaction() as session:
            inbox = SqlInbox(session)
            added = await inbox.add_all(
                [
                    (
                        item.message,
                        item.message_id,
                        item.request_id,
                        self.owner if item.reserved else None,
                    )
                    for item in batch
                ],
                now,
                timedelta(seconds=self._poll_interval),
            )
            for item, entry_id in zip(batch, added, strict=True):
                if entry_id is not None:
                    kept.append((entry_id, True))
                    continue
                found = await inbox.find(item.message.ref.channel, item.message_id)
                if found is None:  # pruned between the two statements: the id is stale
                    raise ClaimLost("inbox row vanished")
                kept.append((found.id, False))
            await self._kept_with(session, batch, kept)
            if apply:
                applied, committed = await self._apply_on_receipt(session, batch, kept, now)
        for callback in committed:
            callback()
        done = set(applied)
        for item, (entry_id, new) in zip(batch, kept, strict=True):
            if new:
                self._metrics.received(item.message.ref.channel)
                if entry_id in done:
                    self._metrics.answered(item.message.ref.channel, 0, 0.0)
                else:
                    self._arrived.set()
        return kept

    async def _kept_with(
        self, session: AsyncSession, batch: Sequence[_ToKeep], kept: Sequence[tuple[int, bool]]
    ) -> None:
        """Run each channel's ``on_keep`` writes for its new messages of the batch."""
        for channel, rows in _new_by_channel(batch, kept, self._on_keep).items():
            await self._on_keep[channel](session, [message for _, message in rows])

    async def _apply_on_receipt(
        self,
        session: AsyncSession,
        batch: Sequence[_ToKeep],
        kept: Sequence[tuple[int, bool]],
        now: datetime,
    ) -> tuple[list[int], list[Callable[[], None]]]:
        """Apply the new messages of ``on_receipt`` channels whose conversation has no older
        row still open (those wait for it, in order), and mark their rows done; the rows
        applied, and what to call once committed."""
        inbox = SqlInbox(session)
        applied: list[int] = []
        committed: list[Callable[[], None]] = []
        for channel, rows in _new_by_channel(batch, kept, self._on_receipt).items():
            ids = {entry_id for entry_id, _ in rows}
            # Open rows of their own conversations, kept in this batch, do not count.
            waiting = await inbox.open_conversations(
                channel, {message.ref.user_id for _, message in rows}, besides=ids
            )
            due = [(i, message) for i, message in rows if message.ref.user_id not in waiting]
            if not due:
                continue
            committed.append(await self._on_receipt[channel](session, [m for _, m in due]))
            applied.extend(entry_id for entry_id, _ in due)
        if applied:
            await inbox.applied(applied, now)
        return applied, committed

    async def _get(self, entry_id: int) -> InboxEntry | None:
        async with self._database.transaction() as session:
            return await SqlInbox(session).get(entry_id)

    async def _work(self, entry: InboxEntry) -> None:
        """Run the row's turn (unless an earlier claim did) and send its replies.

        Its log lines carry the id of the request that handed the message over, and never
        what the citizen typed nor who they are.
        """
        with logs.unit_of_work(entry.request_id):
            logs.conceal(entry.message.text, entry.message.payload, entry.message.ref.user_id)
            await self._work_logged(entry)

    async def _work_logged(self, entry: InboxEntry) -> None:
        channel = entry.message.ref.channel
        if await self._given_up(entry):
            return
        respond = self._responders.get(channel)
        self._hold([entry.id])
        try:
            replies = entry.replies
            if entry.status == PENDING:
                marker = self._marker(entry.id, finished=respond is None)
                replies = tuple(await self._turn(entry.message, marker))
                waiter = self._waiters.pop(entry.id, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(replies)
                if respond is None:  # released by the turn's own transaction
                    await self._respond(entry, None, replies)
                    return
            if await self._respond(entry, respond, replies or ()):
                await self._finish_sent(entry)
        except ClaimLost:
            logger.info("inbox message taken over by another worker: entry=%d", entry.id)
        except LockTimeout:
            # Another worker kept the conversation busy (a slow turn under load): tried again
            # shortly, and never given up for it, or a busy citizen's message would be lost.
            logger.info("inbox message waits for its conversation: entry=%d", entry.id)
            await self._postpone(entry)
        except Exception as error:
            if unreachable(error):
                await self._hand_back(entry, error)
            else:  # left leased: retried when the lease runs out, and given up at last
                logger.exception(
                    "%s message failed: entry=%d attempt=%d", channel, entry.id, entry.attempts
                )
        finally:
            self._release([entry.id])

    async def _work_batch(self, turn: BatchTurn, entries: Sequence[InboxEntry]) -> None:
        """Apply rows of a channel that answers nothing in one go, each marked done with its
        effects; a row the batch could not apply stays leased and is tried again."""
        with logs.unit_of_work():
            for entry in entries:
                logs.conceal(entry.message.text, entry.message.payload, entry.message.ref.user_id)
            due = [entry for entry in entries if not await self._given_up(entry)]
            if not due:
                return
            self._hold([entry.id for entry in due])
            rows = {entry.message.message_id: entry.id for entry in due}

            async def mark_done(session: AsyncSession, messages: Sequence[IncomingMessage]) -> None:
                entry_ids = [rows[message.message_id] for message in messages]
                await SqlInbox(session).done_all(entry_ids, self.owner, self._clock.now())

            try:
                applied = await turn([entry.message for entry in due], mark_done)
            finally:
                self._release([entry.id for entry in due])
            for entry, done in zip(due, applied, strict=True):
                if done:
                    await self._respond(entry, None, ())

    async def _given_up(self, entry: InboxEntry) -> bool:
        """Mark a row claimed too often as failed (it always crashes its worker)."""
        if entry.attempts <= MAX_ATTEMPTS:
            return False
        channel = entry.message.ref.channel
        logger.error("inbox message given up: channel=%s entry=%d", channel, entry.id)
        await self._finish(entry, FAILED)
        return True

    async def _hand_back(self, entry: InboxEntry, error: BaseException) -> None:
        """The database did not answer the turn (away, or every pooled connection busy under
        load): no fault of the message's own, so the claim is handed back uncounted, or a
        citizen's message would be given up after a few slow minutes. While the database is
        still away the lease runs out instead, and that one claim counts."""
        logger.warning(
            "%s message waits for the database: entry=%d %s",
            entry.message.ref.channel,
            entry.id,
            type(error).__name__,
        )
        try:
            await self._postpone(entry)
        except Exception as again:
            if not unreachable(again):
                raise

    async def _postpone(self, entry: InboxEntry, pause: timedelta = BUSY_PAUSE) -> None:
        now = self._clock.now()
        async with self._database.transaction() as session:
            await SqlInbox(session).postpone(entry.id, self.owner, now + pause, now)

    async def _respond(
        self, entry: InboxEntry, respond: Responder | None, replies: Sequence[Reply]
    ) -> bool:
        """Hand the replies to the channel (none to hand for a channel that waits for them).

        A refusal the platform may lift (429, 5xx, unreachable) hands the row back to be sent
        again later, its turn already committed (False); any other refusal is logged and
        counted, and the message is done all the same (True).
        """
        channel = entry.message.ref.channel
        try:
            if respond is not None:
                await respond(
                    entry.message,
                    replies,
                    _RowProgress(entry.sent, partial(self._progressed, entry.id)),
                )
        except DeliveryError as error:
            self._metrics.send_failed(channel, error)
            pause = self._send_pause(entry, error)
            if pause is not None:
                logger.warning(
                    "%s reply not delivered, sent again in %.0f s: entry=%d %s",
                    channel,
                    pause.total_seconds(),
                    entry.id,
                    type(error).__name__,
                )
                await self._postpone(entry, pause)
                return False
            logger.warning("%s reply not delivered: %s: %s", channel, type(error).__name__, error)
            return True
        latency = None
        if entry.accepted_at is not None:
            latency = (self._clock.now() - entry.accepted_at).total_seconds()
        self._metrics.answered(channel, len(replies), latency)
        return True

    def _send_pause(self, entry: InboxEntry, error: DeliveryError) -> timedelta | None:
        """How long to wait before sending refused replies again; None to give them up.

        A 429 says how long; otherwise the wait grows with how long the platform has refused
        (half the message's age, from ``BUSY_PAUSE`` up to ``SEND_PAUSE_CAP``), so a short
        outage costs seconds and a long one a try a minute.
        """
        age = timedelta(0)
        if entry.accepted_at is not None:
            age = self._clock.now() - entry.accepted_at
        if not error.retryable or age > REPLY_DEADLINE:
            return None
        if isinstance(error, RateLimited):
            return timedelta(seconds=max(error.retry_after, BUSY_PAUSE.total_seconds()))
        return min(SEND_PAUSE_CAP, max(BUSY_PAUSE, age / 2))

    def _marker(self, entry_id: int, *, finished: bool) -> TurnHook:
        """The write that marks the row answered (or, with nothing to send, done), committed
        with the turn."""

        async def mark(session: AsyncSession, replies: Sequence[Reply]) -> None:
            await SqlInbox(session).answered(
                entry_id, self.owner, replies, self._clock.now(), finished=finished
            )

        return mark

    def _hold(self, entry_ids: Sequence[int]) -> None:
        """Keep renewing these rows' leases until they are released (a row may be in hand
        twice: a batch and a turn of the same row, after a lease ran out)."""
        for entry_id in entry_ids:
            self._in_hand[entry_id] = self._in_hand.get(entry_id, 0) + 1

    def _release(self, entry_ids: Sequence[int]) -> None:
        for entry_id in entry_ids:
            if self._in_hand[entry_id] == 1:
                del self._in_hand[entry_id]
            else:
                self._in_hand[entry_id] -= 1

    async def _renew(self) -> None:
        """Keep the leases of the rows in hand, every third of the lease, until the inbox is
        left: a live worker's claim never runs out. A row taken in hand between two renewals
        is renewed at the next, within a third of its lease.

        A renewal the database did not take is tried again after ``FINISH_PAUSE``, not a third
        of the lease later: the claims then outlast an outage of nearly two thirds of the lease
        (a third and a pause), where waiting the whole period let one of just over a third end
        them, and another worker would send the same replies again. The renewal is the
        claimant's only, so a row another worker took over meanwhile is left as it is.
        """
        period = self._lease.total_seconds() / 3
        pause = period
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._left.wait(), pause)
            if self._left.is_set():
                return
            pause = period
            entry_ids = sorted(self._in_hand)
            try:
                until = self._clock.now() + self._lease
                for start in range(0, len(entry_ids), BATCH):
                    async with self._database.transaction() as session:
                        chunk = entry_ids[start : start + BATCH]
                        await SqlInbox(session).renew(chunk, self.owner, until)
            except Exception as error:
                logger.warning("inbox lease renewal failed: %s", type(error).__name__)
                pause = min(FINISH_PAUSE, period)

    async def _finish_sent(self, entry: InboxEntry) -> None:
        """Mark the row done once its replies were sent.

        Should the database be away just then, marking is tried again until it answers, not
        only while the claim surely lasts: nobody can take the row over while the database is
        away, so once it is back the mark lands first unless the claim ran out and another
        claim won the race (an outage longer than what was left of the lease, at least two
        thirds of it). Given up sooner, the row would stay answered and its replies be sent a
        second time. The mark is the claimant's only, so a late one changes nothing that
        another worker took over. Rows sent meanwhile are marked together (group commit).
        """
        await self._until_recorded(partial(self._finishing, entry.id))

    async def _progressed(self, entry_id: int, count: int) -> None:
        """Record on the row that the platform accepted the first ``count`` messages of its
        replies, before the next one is sent, so that a refusal further on sends only the rest
        again. Tried again until the database answers, as the done mark is: sending on without
        it would let a later refusal send the first messages twice. Rows sent meanwhile are
        recorded together (group commit)."""
        await self._until_recorded(partial(self._progressing, (entry_id, count)))

    async def _until_recorded(self, write: Callable[[], Awaitable[object]]) -> None:
        """Run ``write`` until the database takes it (see ``_finish_sent``)."""
        while True:
            try:
                await write()
                return
            except Exception as error:
                if not unreachable(error):
                    raise
            await asyncio.sleep(FINISH_PAUSE)

    async def _progress_all(self, counts: Sequence[tuple[int, int]]) -> list[None]:
        """Record the rows' counts of accepted messages in one transaction."""
        async with self._database.transaction() as session:
            await SqlInbox(session).progressed_all(counts, self.owner)
        return [None] * len(counts)

    async def _finish_all(self, entry_ids: Sequence[int]) -> list[None]:
        """Mark the rows done in one transaction."""
        async with self._database.transaction() as session:
            await SqlInbox(session).finish_all(entry_ids, self.owner, DONE, self._clock.now())
        return [None] * len(entry_ids)

    async def _finish(self, entry: InboxEntry, status: str) -> None:
        async with self._database.transaction() as session:
            await SqlInbox(session).finish(entry.id, self.owner, status, self._clock.now())


def _new_by_channel(
    batch: Sequence[_ToKeep], kept: Sequence[tuple[int, bool]], channels: Collection[str]
) -> dict[str, list[tuple[int, IncomingMessage]]]:
    """The batch's new messages of ``channels``, with their row ids, by channel."""
    fresh: dict[str, list[tuple[int, IncomingMessage]]] = {}
    for item, (entry_id, new) in zip(batch, kept, strict=True):
        if new and item.message.ref.channel in channels:
            fresh.setdefault(item.message.ref.channel, []).append((entry_id, item.message))
    return fresh
