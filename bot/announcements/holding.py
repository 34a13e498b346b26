"""The deliveries one channel's sending loop holds, their leases kept fresh while it lives.

A claim's lease is dated when it is taken, but a claimed delivery may wait for a sending slot,
for the platform's pace and for its group's commit: on a loaded machine, longer than the
lease. Once the lease lapsed, the next claim took it again while the first holder still had it,
and both sent it (``tests/reliability/test_kill_a_broadcast.py``, a 2 s lease on a loaded
machine: 38 repeats where a kill allows 20). So a loop
renews the leases of all it holds every quarter lease (``renew``), never takes again what it
holds itself (``ids``, left out of its claims), and sends a delivery only while at least half
its lease is left (``sendable``): a holder that could not renew in time leaves it to whoever
claims it next rather than send it beside them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.announcements.store import Claimed, SqlDeliveries
from bot.storage.database import Database
from bot.supervision import rest
from dialogs.ports import Clock

logger = logging.getLogger(__name__)

RENEWALS_PER_LEASE = 4
"""A lease is renewed this many times over its length: three renewals can fail in a row."""

SEND_WITHIN = 0.5
"""Share of a lease that may have passed since it was dated when its delivery is sent: the
rest covers the send's way to the platform."""


class Holding:
    """What one loop holds: each delivery with the moment its lease was last dated."""

    def __init__(self, database: Database, clock: Clock, lease: timedelta) -> None:
        self._database = database
        self._clock = clock
        self._lease = lease
        self._dated: dict[int, tuple[Claimed, datetime]] = {}

    def ids(self) -> list[int]:
        """The deliveries held, which its claims must not take again."""
        return list(self._dated)

    def take(self, claimed: Sequence[Claimed], at: datetime) -> None:
        """Hold ``claimed``, their leases dated ``at``."""
        for delivery in claimed:
            self._dated[delivery.id] = (delivery, at)

    def drop(self, claimed: Sequence[Claimed]) -> None:
        """Stop holding ``claimed``: settled, put back, or left to their lease."""
        for delivery in claimed:
            self._dated.pop(delivery.id, None)

    def sendable(self, delivery: Claimed) -> bool:
        """Whether enough of ``delivery``'s lease is left to send it."""
        held = self._dated.get(delivery.id)
        return held is not None and self._clock.now() < held[1] + self._lease * SEND_WITHIN

    async def renew(self) -> None:
        """Date the leases of everything held now; what another claim took is not renewed."""
        held = [delivery for delivery, _ in self._dated.values()]
        if not held:
            return
        now = self._clock.now()
        async with self._database.transaction() as session:
            renewed = await SqlDeliveries(session).renew(held, now)
        for delivery_id in renewed:
            if delivery_id in self._dated:
                self._dated[delivery_id] = (self._dated[delivery_id][0], now)

    async def keep(self, until: asyncio.Event) -> None:
        """Renew every quarter lease until ``until`` is set."""
        every = self._lease.total_seconds() / RENEWALS_PER_LEASE
        while not until.is_set():
            await rest(until, every)
            if until.is_set():
                return
            try:
                await self.renew()
            except Exception:  # the next renewal tries again; the sends wait on ``sendable``
                logger.exception("announcement leases not renewed")
