"""Sending announcements: fan-out when one falls due, then deliveries claimed, sent, settled.

One loop per channel, side by side, so a slow platform (Telegram at 30 messages a second)
never holds up a fast one (the web chat). Each claims deliveries under a lease (skipping, in
the same statement, citizens who blocked the bot since the fan-out), sends them through the
channel's own adapter (which keeps the platform's rules: Telegram's bot-wide and per-chat
pace, Messenger's 24-hour window, Zalo's window) and commits the accepted ones in groups
(``recording.record_sent`` in a ``GroupCommit``: one UPDATE for the group, with the messages
written to the conversations' log in the same transaction). Several ``motcua worker``
processes may send one announcement together: claims never overlap, and the bot-wide pace is
shared in Redis.

Chat replies keep priority: a channel's loop has at most ``in_flight`` sends out at a time
(``in_flight_for``: a twentieth of a second of the bot-wide rate, at least eight), and
``integrations.telegram.BotPace`` serves waiters in the order they came, so a citizen's
answer waits behind at most that many announcement messages, never behind the whole
broadcast.

What a crash, ``kill -9`` or restart does, delivery by delivery:

- claimed, not yet sent: nothing went out; once the lease
  (``MOTCUA_ANNOUNCEMENT_LEASE_SECONDS``) runs out another worker (or this one, restarted)
  claims it and sends it. Nothing lost, nothing repeated. While the worker lives, it renews
  the leases of all it holds (``holding``), however long a send waits for its slot, its pace
  or its commit, and a send whose lease it could not renew in time is left to the next claim.
- sent and settled: the outcome is committed; it is never claimed again.
- the one window: the platform has accepted the message, but the commit recording it has not
  happened when the process dies. Telegram, Messenger and Zalo take no idempotency key for a
  chat message, so nothing can ask them afterwards whether it arrived; the delivery is sent
  again after the lease, favouring a repeat over a loss (a storm warning must not go
  missing). A send keeps its ``in_flight`` slot until its group is committed, so the window
  covers at most ``in_flight`` deliveries per channel and worker: the sends out at the
  platform or waiting for their commit at the kill, about a round trip and a commit's worth
  of the rate. A stop asked for (SIGTERM, ``motcua serve`` ending) is not a crash: the loops
  finish the sends in hand, commit them and hand back the rest, so a restart repeats
  nothing. The web chat's "send" is the log row itself, written in the settling transaction,
  so it has no window at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from bot import logs
from bot.announcements.holding import Holding
from bot.announcements.pictures import picture_path
from bot.announcements.recording import Sent, record_sent
from bot.announcements.store import Announcement, Claimed, Delivery, SqlAnnouncements, SqlDeliveries
from bot.announcements.wording import announcement_message
from bot.batches import GroupCommit
from bot.metrics import Metrics
from bot.storage.database import Database
from bot.storage.platform_state import SqlUnreachableUsers
from bot.supervision import rest
from dialogs.context import SUPPORTED_LOCALES
from dialogs.errors import DeliveryError, OutsideWindow, RateLimited, RecipientUnavailable
from dialogs.messages import Reply
from dialogs.ports import Channel, Clock, PrecheckedChannel, Translator

logger = logging.getLogger(__name__)

FEWEST_IN_FLIGHT = 8


def in_flight_for(rate: int) -> int:
    """Sends a channel's loop keeps out at once at a bot-wide ``rate`` a second: a twentieth
    of a second's worth, at least ``FEWEST_IN_FLIGHT``.

    Enough to cover the platform's round trip at 1,000 a second, while a chat reply still
    waits behind at most that many announcement messages on the shared pace: about 50 ms at
    the limit, at most eight messages at a slow one.
    """
    return max(FEWEST_IN_FLIGHT, rate // 20)


class AnnouncementSender:
    """Fans out due announcements and sends their deliveries; ``run`` loops until told to stop."""

    def __init__(
        self,
        database: Database,
        channels: Mapping[str, Channel],
        clock: Clock,
        translator: Callable[[str], Translator],
        *,
        default_locale: str = "vi",
        public_url: str = "",
        lease: timedelta = timedelta(seconds=60),
        poll_interval: float = 2.0,
        in_flight: int = FEWEST_IN_FLIGHT,
        backoff: timedelta = timedelta(seconds=30),
        max_attempts: int = 5,
        metrics: Metrics | None = None,
    ) -> None:
        """Wire a sender.

        Args:
            channels: channel name -> adapter able to send proactively.
            translator: locale -> the words around an announcement (its heading, the link).
            default_locale: the language of a citizen who never said theirs.
            public_url: the server's address, where a picture's link points.
            lease: how long a claimed delivery stays with this worker.
            poll_interval: seconds between looks for due announcements and deliveries.
            in_flight: sends at once per channel: the most a chat reply waits behind.
            backoff: the first retry delay after a passing failure, doubled after each.
            max_attempts: tries before a delivery is counted failed.
            metrics: counts what is sent and what fails.
        """
        self._database = database
        self._channels = channels
        # The claim has just counted those who blocked the bot: no need to ask again per send.
        # (Chosen once: a check against a runtime protocol costs more than the send's own work.)
        self._send = {
            name: adapter.send_prechecked
            if isinstance(adapter, PrecheckedChannel)
            else adapter.send
            for name, adapter in channels.items()
        }
        self._clock = clock
        self._recorded = GroupCommit(self._record_group, "announcement sends")
        self._translator = translator
        self._default_locale = default_locale
        self._public_url = public_url.rstrip("/")
        self._lease = lease
        self._poll_interval = poll_interval
        self._in_flight = in_flight
        self._backoff = backoff
        self._max_attempts = max_attempts
        self._metrics = metrics or Metrics()
        self._wake = asyncio.Event()
        self._announcements: dict[int, Announcement] = {}
        self._messages: dict[int, dict[tuple[int, str], tuple[Reply, ...]]] = {}

    def wake(self) -> None:
        """Look for due announcements now (one was just composed to go at once)."""
        self._wake.set()

    async def run(self, until: asyncio.Event) -> None:
        """Send until ``until`` is set; it is checked between deliveries, never mid-commit."""
        while not until.is_set():
            self._wake.clear()
            with logs.unit_of_work():
                try:
                    await self.run_once(until)
                except Exception:
                    logger.exception("announcement round failed")
            await rest(until, self._poll_interval, self._wake)

    async def run_once(self, until: asyncio.Event | None = None) -> int:
        """Fan out what fell due and send every delivery due now; returns how many were sent."""
        stop = until or asyncio.Event()
        await self.fan_out()
        sent = await asyncio.gather(*(self._drain(name, stop) for name in self._channels))
        async with self._database.transaction() as session:
            for finished in await SqlDeliveries(session).finish(self._clock.now()):
                self._announcements.pop(finished, None)
                self._messages.pop(finished, None)
                logger.info("announcement %s sent to every subscriber", finished)
        return sum(sent)

    async def fan_out(self) -> None:
        """One delivery per subscriber for every announcement whose time has come."""
        async with self._database.transaction() as session:
            due = await SqlDeliveries(session).due(self._clock.now())
        for announcement in due:
            started = time.perf_counter()
            async with self._database.transaction() as session:
                added = await SqlDeliveries(session).fan_out(
                    announcement, self._clock.now(), self._channels
                )
            if added is not None:
                logger.info(
                    "announcement %s: %d deliveries in %.2f s",
                    announcement,
                    added,
                    time.perf_counter() - started,
                )

    async def _drain(self, channel: str, until: asyncio.Event) -> int:
        """Send the channel's due deliveries until none is left or told to stop.

        ``in_flight`` sends at a time, and the next few are claimed while the last ones are
        still out, so the platform's pace is never left waiting on a claim; accepted sends
        are committed in groups (``GroupCommit``), all of them before this returns.
        """
        gate = asyncio.Semaphore(self._in_flight)
        holding = Holding(self._database, self._clock, self._lease)
        done = asyncio.Event()
        renewing = asyncio.create_task(holding.keep(done))
        try:
            return await self._send_held(channel, until, gate, holding)
        finally:
            done.set()
            await renewing

    async def _send_held(
        self, channel: str, until: asyncio.Event, gate: asyncio.Semaphore, holding: Holding
    ) -> int:
        """``_drain``'s sends, while ``holding``'s leases are renewed beside them."""
        sending: set[asyncio.Task[None]] = set()
        outcomes: list[Delivery | RateLimited | None] = []
        slowed: list[RateLimited] = []

        async def one(delivery: Claimed) -> None:
            try:
                with logs.unit_of_work(f"announcement-{delivery.announcement_id}"):
                    outcome = await self._deliver(channel, delivery, holding)
            except Exception:  # its outcome was not recorded: the lease brings it back
                logger.exception("announcement delivery %s not settled", delivery.id)
                outcome = None
            finally:
                holding.drop([delivery])
                gate.release()
            outcomes.append(outcome)
            if isinstance(outcome, RateLimited):
                slowed.append(outcome)

        while not until.is_set():
            # A token per claim: the rows still out keep theirs, and are not taken again.
            now = self._clock.now()
            async with self._database.transaction() as session:
                claimed = await SqlDeliveries(session).claim(
                    now, self._lease, self._in_flight, uuid.uuid4().hex, [channel], holding.ids()
                )
            holding.take(claimed, now)
            if not claimed:
                if not sending:
                    break
                await asyncio.wait(sending, return_when=asyncio.FIRST_COMPLETED)
                continue
            for position, delivery in enumerate(claimed):
                await gate.acquire()
                if until.is_set() or slowed:
                    # Stopping, or the platform asked to slow down: hand the rest back untried.
                    gate.release()
                    async with self._database.transaction() as session:
                        await SqlDeliveries(session).release(claimed[position:], self._clock.now())
                    holding.drop(claimed[position:])
                    break
                task = asyncio.create_task(one(delivery))
                sending.add(task)
                task.add_done_callback(sending.discard)
            if slowed:
                if sending:
                    await asyncio.wait(set(sending))
                # The platform asked the whole bot to slow down: this channel waits, others
                # go on.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(until.wait(), max(e.retry_after for e in slowed))
                slowed.clear()
        if sending:
            await asyncio.wait(set(sending))
        return sum(1 for outcome in outcomes if outcome is Delivery.SENT)

    async def _deliver(
        self, channel: str, delivery: Claimed, holding: Holding
    ) -> Delivery | RateLimited | None:
        announcement = await self._announcement(delivery.announcement_id)
        if announcement is None:  # deleted meanwhile (its deliveries go with it)
            return None
        replies = self._replies(
            announcement, delivery.commune_code, delivery.locale or self._default_locale
        )
        if not holding.sendable(delivery):
            # Its lease may have run out: whoever claims it next sends it, this loop does not.
            logger.info("announcement delivery %s: lease not renewed in time", delivery.id)
            return None
        now = self._clock.now()
        try:
            await self._send[channel](delivery.ref, replies)
        except OutsideWindow:
            return await self._settle(delivery, Delivery.UNREACHABLE, "OutsideWindow")
        except RecipientUnavailable:
            await SqlUnreachableUsers(self._database, channel, self._clock.now).add(
                delivery.ref.user_id
            )
            return await self._settle(delivery, Delivery.BLOCKED, "RecipientUnavailable")
        except RateLimited as error:
            self._metrics.send_failed(channel, error)
            due = now + timedelta(seconds=error.retry_after)
            async with self._database.transaction() as session:
                await SqlDeliveries(session).retry(delivery, due, "RateLimited", now, count=False)
            return error
        except DeliveryError as error:
            self._metrics.send_failed(channel, error)
            if not error.retryable:
                return await self._settle(delivery, Delivery.FAILED, type(error).__name__)
            return await self._retry(delivery, error)
        except Exception as error:
            self._metrics.send_failed(channel, error)
            logger.exception("announcement delivery %s could not be sent", delivery.id)
            return await self._retry(delivery, error)
        self._metrics.answered(channel, len(replies))
        # Its slot is free once the outcome is committed: at most ``in_flight`` sends are ever
        # accepted by the platform and not yet recorded (what a kill -9 can repeat).
        await self._recorded((delivery, replies))
        return Delivery.SENT

    async def _record_group(self, group: Sequence[Sent]) -> list[bool]:
        return await record_sent(self._database, group, self._clock.now())

    async def _announcement(self, announcement_id: int) -> Announcement | None:
        found = self._announcements.get(announcement_id)
        if found is None:
            async with self._database.transaction() as session:
                found = await SqlAnnouncements(session).get(announcement_id)
            if found is not None:
                self._announcements[announcement_id] = found
        return found

    def _replies(
        self, announcement: Announcement, commune_code: int, locale: str
    ) -> tuple[Reply, ...]:
        """The announcement as one message, in the citizen's language: worded once per commune
        and language, not once per citizen."""
        if locale not in SUPPORTED_LOCALES:
            locale = self._default_locale
        worded = self._messages.setdefault(announcement.id, {})
        found = worded.get((commune_code, locale))
        if found is None:
            picture = (
                None
                if announcement.image_type is None
                else self._public_url + picture_path(announcement.id)
            )
            found = worded[commune_code, locale] = announcement_message(
                self._translator(locale).gettext,
                announcement.text(locale),
                commune_code,
                picture_url=picture,
                link=announcement.link,
            )
        return found

    async def _settle(self, delivery: Claimed, state: Delivery, error: str) -> Delivery:
        async with self._database.transaction() as session:
            await SqlDeliveries(session).settle(delivery, state, self._clock.now(), error)
        return state

    async def _retry(self, delivery: Claimed, error: Exception) -> Delivery | None:
        if delivery.attempts + 1 >= self._max_attempts:
            return await self._settle(delivery, Delivery.FAILED, type(error).__name__)
        now = self._clock.now()
        due = now + self._backoff * 2**delivery.attempts
        async with self._database.transaction() as session:
            await SqlDeliveries(session).retry(delivery, due, type(error).__name__, now)
        return None
