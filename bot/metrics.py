"""What one worker process tells Prometheus at ``/metrics``: traffic, latency, queues, failures.

Counters and the latency histogram count what this process did (Prometheus adds the workers up);
the queue depths are read from the shared database when scraped, so every worker reports the
same depth (aggregate them with ``max``). Labels are channel names and error class names only:
never a user id or a text.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy import func, select

from bot.storage.database import Database, unreachable
from bot.storage.dossiers import QUEUED
from bot.storage.inbox import is_open
from bot.storage.reminders import ReminderStatus
from bot.storage.tables import DossierRow, InboxRow, ReminderRow

CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The ``Content-Type`` of the text exposition format."""

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Seconds; dense around the 300 ms a reply should take, coarse up to a stuck queue."""


class Metrics:
    """The process's metrics, in a registry of their own (several apps may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # CPU seconds, resident memory, open files: a leak shows as a climbing line.
        ProcessCollector(registry=self.registry)
        self._in = Counter(
            "motcua_messages_in",
            "Messages kept in the inbox, by channel (redeliveries not counted).",
            ["channel"],
            registry=self.registry,
        )
        self._out = Counter(
            "motcua_messages_out",
            "Replies handed to a channel (answers, reminders, notices), by channel.",
            ["channel"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "motcua_reply_latency_seconds",
            "From a message being kept in the inbox to its replies being handed over.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._send_errors = Counter(
            "motcua_send_errors",
            "Sends that failed, by channel and kind (the error's class).",
            ["channel", "kind"],
            registry=self.registry,
        )
        self._waits = Counter(
            "motcua_rate_limit_waits",
            "Sends held back, or requests refused, by a rate limit, by limit.",
            ["limit"],
            registry=self.registry,
        )
        self._backend_errors = Counter(
            "motcua_backend_errors",
            "Calls to a backend (database, redis) that failed because it did not answer.",
            ["backend"],
            registry=self.registry,
        )
        self._degraded = Gauge(
            "motcua_backend_degraded",
            "1 while this process works without a backend (Redis: locks and limits in memory).",
            ["backend"],
            registry=self.registry,
        )
        self._inbox = Gauge(
            "motcua_inbox_depth",
            "Messages kept and not yet answered and sent (all workers).",
            registry=self.registry,
        )
        self._outbox = Gauge(
            "motcua_outbox_depth",
            "Proactive work due and not done (all workers): reminders and notices, filings.",
            ["kind"],
            registry=self.registry,
        )

    def received(self, channel: str) -> None:
        """A new message was kept."""
        self._in.labels(channel).inc()

    def answered(self, channel: str, replies: int, latency: float | None = None) -> None:
        """``replies`` replies were handed to ``channel``, ``latency`` seconds after arrival."""
        self._out.labels(channel).inc(replies)
        if latency is not None:
            self._latency.labels(channel).observe(max(0.0, latency))

    def send_failed(self, channel: str, error: BaseException) -> None:
        """A send to ``channel`` failed with ``error``."""
        self._send_errors.labels(channel, type(error).__name__).inc()

    def waited(self, limit: str) -> None:
        """The rate limit ``limit`` held a send back or refused a request."""
        self._waits.labels(limit).inc()

    def backend_failed(self, backend: str) -> None:
        """A call to ``backend`` failed because it did not answer."""
        self._backend_errors.labels(backend).inc()

    def degraded(self, backend: str, degraded: bool) -> None:
        """This process works without ``backend`` (True) or with it again (False)."""
        self._degraded.labels(backend).set(1 if degraded else 0)

    async def exposition(self, database: Database, now: datetime) -> bytes:
        """The text format, with the queue depths read from ``database`` just now (their last
        values while it does not answer: then the failures counted are what to show)."""
        try:
            await self._read_depths(database, now)
        except Exception as error:
            if not unreachable(error):
                raise
        return generate_latest(self.registry)

    async def _read_depths(self, database: Database, now: datetime) -> None:
        async with database.transaction() as session:
            inbox = await session.scalar(
                select(func.count()).select_from(InboxRow).where(is_open(InboxRow.status))
            )
            reminders = await session.scalar(
                select(func.count())
                .select_from(ReminderRow)
                .where(
                    ReminderRow.status.in_((ReminderStatus.PENDING, ReminderStatus.SENDING)),
                    ReminderRow.due_at <= now,
                )
            )
            filings = await session.scalar(
                select(func.count()).select_from(DossierRow).where(DossierRow.state == QUEUED)
            )
        self._inbox.set(inbox or 0)
        self._outbox.labels("reminders").set(reminders or 0)
        self._outbox.labels("filings").set(filings or 0)
