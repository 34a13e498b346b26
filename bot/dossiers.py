"""Dossiers between the chat and the portal: sending filings, announcing every status change.

Both directions end in the reminder outbox: a receipt, a "portal is down, it will be sent"
notice and each status change are reminder rows carrying the portal's facts, due at once, so
they reach the citizen through the same claimed, retried, window-aware delivery as reminders,
in the citizen's language, and the reminder worker is woken so that takes milliseconds.

* ``DossierSender`` files queued dossiers with their idempotency key. A portal that is down,
  slow or answering nonsense leaves the dossier queued, retried with backoff; the citizen is
  told once that it will be sent.
* ``StatusAnnouncer`` applies a verified webhook event or what polling found: the change is
  recorded only when newer than the last one announced, and then announced once. Its loop also
  finds dossiers still open past their due date (counted in working days by the portal) and
  apologises once, with the new date when the desk gave one (its apology slip, Form 04).
  A dossier a volunteer filed for someone who consented on their own chat is told to both,
  its receipt included.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot import logs
from bot.portal import PortalEvent
from bot.storage.database import Database
from bot.storage.dossiers import Change, Dossier, SqlDossiers
from bot.storage.papers import SqlPapers
from bot.storage.reminders import SqlReminders
from bot.supervision import rest
from dialogs.errors import PortalError
from dialogs.messages import ConversationRef
from dialogs.ports import Clock, PortalClient, PortalDossier
from integrations.portal.contract import CITIZEN_ACTS, CLOSED, LABELS

logger = logging.getLogger(__name__)

RECEIPT = "fd:rcpt"
FILED_FOR_YOU = "fd:given"
WAITING = "fd:wait"
REFUSED = "fd:fail"
STATUS = "fd:st"
LATE = "fd:late"

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Due dates are the one-stop desk's calendar days."""


def receipt_facts(answer: PortalDossier) -> dict[str, Any]:
    """What the receipt shows."""
    return {
        "code": answer.code,
        "due_date": answer.due_date.isoformat() if answer.due_date else None,
        "fee_amount": answer.fee.amount,
        "payment_url": answer.fee.payment_url if not answer.fee.paid else None,
        "delivery": answer.delivery,
        "procedure": answer.procedure_code,
    }


class DossierSender:
    """Files queued dossiers with the portal; ``run`` loops until told to stop."""

    def __init__(
        self,
        database: Database,
        portal: PortalClient,
        clock: Clock,
        wake_outbox: Callable[[], None],
        *,
        callback_url: str | None = None,
        poll_interval: float = 5.0,
        backoff: timedelta = timedelta(seconds=15),
        max_backoff: timedelta = timedelta(minutes=30),
        lease: timedelta = timedelta(minutes=2),
    ) -> None:
        """Wire a sender.

        Args:
            wake_outbox: tells the reminder worker a notice is due now.
            callback_url: where the portal sends this dossier's status webhooks.
        """
        self._callback_url = callback_url
        self._database = database
        self._portal = portal
        self._clock = clock
        self._wake_outbox = wake_outbox
        self._poll_interval = poll_interval
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._lease = lease
        self.queued = asyncio.Event()
        """Set by the dispatcher when a turn has queued a dossier, to send it at once."""

    async def run(self, until: asyncio.Event) -> None:
        """Send queued dossiers as they come, and retry postponed ones, until ``until`` is set."""
        while not until.is_set():
            self.queued.clear()
            with logs.unit_of_work():
                try:
                    await self.run_once()
                except Exception:
                    # Database errors hide their parameters; bot.logs redacts the rest.
                    logger.exception("dossier round failed")
            await rest(until, self._poll_interval, self.queued)

    async def run_once(self) -> int:
        """Try every dossier due for sending, then attach the papers of filed ones; how many
        dossiers were filed."""
        filed = 0
        while True:
            async with self._database.transaction() as session:
                claimed = await SqlDossiers(session).claim_queued(
                    self._clock.now(), self._lease, 20
                )
            if not claimed:
                break
            for dossier in claimed:
                filed += await self._send(dossier)
        await self.attach_papers()
        return filed

    async def attach_papers(self) -> int:
        """Attach the papers of filed dossiers (at filing, or asked for later by the desk),
        deleting each once the portal has it; how many were attached.

        A portal that is down leaves the rest for the next round; a paper it refuses is
        deleted, as sending it again would be refused again.
        """
        attached = 0
        while True:
            async with self._database.transaction() as session:
                batch = await SqlPapers(session).claim_outgoing(self._clock.now(), self._lease, 10)
            if not batch:
                return attached
            for paper in batch:
                try:
                    await self._portal.add_attachment(
                        paper.code, paper.document_name, paper.name, paper.content_type, paper.data
                    )
                    attached += 1
                except PortalError as error:
                    if error.retryable:
                        logger.warning("paper %d not attached (%s)", paper.id, type(error).__name__)
                        return attached
                    logger.error(
                        "paper %d refused by the portal: %s", paper.id, type(error).__name__
                    )
                async with self._database.transaction() as session:
                    await SqlPapers(session).sent(paper.id)

    async def _send(self, dossier: Dossier) -> bool:
        try:
            request = dict(dossier.request)
            if self._callback_url:
                request["callback_url"] = self._callback_url
            answer = await self._portal.create_dossier(request, dossier.key)
        except PortalError as error:
            await self._failed(dossier, error)
            return False
        now = self._clock.now()
        facts = receipt_facts(answer)
        async with self._database.transaction() as session:
            await SqlDossiers(session).filed(dossier, answer, now)
            outbox = SqlReminders(session)
            await outbox.schedule(dossier.ref, now, RECEIPT, now, facts=facts)
            if dossier.helped is not None:
                await outbox.schedule(dossier.helped, now, FILED_FOR_YOU, now, facts=facts)
        self._wake_outbox()
        return True

    async def _failed(self, dossier: Dossier, error: PortalError) -> None:
        now = self._clock.now()
        reason = type(error).__name__
        async with self._database.transaction() as session:
            dossiers, outbox = SqlDossiers(session), SqlReminders(session)
            if error.retryable:
                delay = min(self._backoff * 2**dossier.attempts, self._max_backoff)
                logger.warning(
                    "dossier %s not sent (%s), retry in %ds",
                    dossier.id,
                    reason,
                    delay.total_seconds(),
                )
                await dossiers.postpone(dossier, now + delay, reason, now)
                if dossier.attempts == 0:
                    await outbox.schedule(dossier.ref, now, WAITING, now, facts={})
            else:
                logger.error("dossier %s refused by the portal: %s", dossier.id, reason)
                await dossiers.rejected(dossier, reason, now)
                await outbox.schedule(
                    dossier.ref, now, REFUSED, now, facts={"reason": str(error)[:300]}
                )
        self._wake_outbox()


class StatusAnnouncer:
    """Turns portal status changes (webhook or polling) into notices, each change once."""

    def __init__(
        self,
        database: Database,
        portal: PortalClient,
        clock: Clock,
        wake_outbox: Callable[[], None],
        *,
        poll_interval: float = 60.0,
    ) -> None:
        """Wire an announcer; ``poll_interval`` seconds between looks for missed webhooks."""
        self._database = database
        self._portal = portal
        self._clock = clock
        self._wake_outbox = wake_outbox
        self._poll_interval = poll_interval

    async def apply_all(self, session: AsyncSession, events: Sequence[PortalEvent]) -> bool:
        """Verified webhook events, inside the transaction that claims their ids; whether any
        was new. Their dossiers are read with one statement, and their changes recorded and
        their notices queued with one each (``_announce``)."""
        timed = [(event, at) for event in events if (at := _occurred(event)) is not None]
        dossiers = await SqlDossiers(session).by_codes({event.code for event, _ in timed})
        changes = [
            (Change(dossiers[event.code], event.status, None, at), event.note)
            for event, at in timed
            if event.code in dossiers
        ]
        return bool(await self._announce(session, changes))

    async def poll_once(self) -> int:
        """Ask the portal what changed since the last change announced; how many were new."""
        async with self._database.transaction() as session:
            since = await SqlDossiers(session).latest_announcement()
        if since is None:
            return 0
        try:
            changed = await self._portal.changed_since(since - timedelta(seconds=1), limit=500)
        except PortalError:
            logger.warning("polling the portal failed", exc_info=True)
            return 0
        new = 0
        for found in changed:
            async with self._database.transaction() as session:
                dossier = await SqlDossiers(session).by_code(found.code)
                if dossier is None or not found.history:
                    continue
                last = found.history[-1]
                change = Change(dossier, found.status, found.due_date, last.at)
                new += await self._announce(session, [(change, last.note)])
        if new:
            self._wake_outbox()
        return new

    async def overdue_once(self) -> int:
        """Apologise for each open dossier newly past its due date; how many were told.

        The portal decides: a dossier waiting for the citizen (papers, payment) is not late, as
        its clock is paused; one whose due date the portal moved on after such a pause only
        gets its new due date kept.
        """
        now = self._clock.now()
        open_statuses = [status for status in LABELS if status not in CLOSED]
        async with self._database.transaction() as session:
            candidates = await SqlDossiers(session).past_due(
                now.astimezone(VIETNAM).date(), open_statuses
            )
        told = 0
        for dossier in candidates:
            assert dossier.code is not None  # filed dossiers have their code
            try:
                found = await self._portal.get_dossier(dossier.code, dossier.id_number)
            except PortalError:
                logger.warning("overdue check of dossier %s failed", dossier.id, exc_info=True)
                continue
            async with self._database.transaction() as session:
                dossiers = SqlDossiers(session)
                if found.status in CLOSED or found.status in CITIZEN_ACTS:
                    continue  # its result is told by its own change; a paused clock is not late
                if not found.overdue and found.extended_due_date is None:
                    if found.due_date is not None:
                        await dossiers.postpone_due(dossier, found.due_date, now)
                    continue
                if not await dossiers.tell_overdue(dossier, now):
                    continue
                facts = {
                    "code": dossier.code,
                    "due_date": found.due_date.isoformat() if found.due_date else None,
                    "new_due_date": (
                        found.extended_due_date.isoformat() if found.extended_due_date else None
                    ),
                    "reason": found.delay_reason[:1000],
                }
                await SqlReminders(session).schedule_notices(_notices(dossier, LATE, facts), now)
                told += 1
        if told:
            self._wake_outbox()
        return told

    async def run(self, until: asyncio.Event) -> None:
        """Every ``poll_interval`` seconds, until ``until`` is set: poll for missed webhooks,
        and apologise for dossiers that became late."""
        while not until.is_set():
            await rest(until, self._poll_interval)
            if until.is_set():
                return
            for work, name in ((self.poll_once, "status polling"), (self.overdue_once, "overdue")):
                with logs.unit_of_work():
                    try:
                        await work()
                    except Exception:
                        logger.exception("%s round failed", name)

    async def _announce(self, session: AsyncSession, changes: Sequence[tuple[Change, str]]) -> int:
        """Record each change (with the officer's note) that is newer than the last one of its
        dossier and queue its notices; how many were new.

        One statement records a round of changes, one dossier's at most, and one queues their
        notices: a dossier's second change in the same burst goes in the next round, after
        its first.
        """
        now = self._clock.now()
        new = 0
        while changes:
            now_changes: list[tuple[Change, str]] = []
            later: list[tuple[Change, str]] = []
            for change, note in changes:
                taken = any(c.dossier.id == change.dossier.id for c, _ in now_changes)
                (later if taken else now_changes).append((change, note))
            announced = await SqlDossiers(session).announce_all(
                [change for change, _ in now_changes], now
            )
            await SqlReminders(session).schedule_notices(
                [
                    notice
                    for change, note in now_changes
                    if change.dossier.id in announced
                    for notice in _notices(change.dossier, STATUS, _status_facts(change, note))
                ],
                now,
            )
            new += len(announced)
            changes = later
        return new


def _occurred(event: PortalEvent) -> datetime | None:
    """When the event happened, or None (logged) for a time that cannot be compared."""
    try:
        at = datetime.fromisoformat(event.occurred_at)
    except ValueError:
        logger.warning("portal event with an unreadable time ignored")
        return None
    return at if at.tzinfo is not None else None


def _status_facts(change: Change, note: str) -> dict[str, Any]:
    """What a status notice shows."""
    dossier = change.dossier
    due = change.due_date or dossier.due_date
    return {
        "code": dossier.code,
        "procedure": dossier.procedure,
        "status": change.status,
        "note": note[:1000],
        "delivery": dossier.delivery,
        "due_date": due.isoformat() if due else None,
        "fee_amount": dossier.fee_amount,
        "payment_url": dossier.payment_url,
    }


def _notices(
    dossier: Dossier, payload: str, facts: dict[str, Any]
) -> list[tuple[ConversationRef, str, dict[str, Any]]]:
    """A notice about a dossier to whoever filed it and, when a volunteer filed it for someone
    who consented on their own chat, to that chat too: each rendered in its own language."""
    return [(ref, payload, facts) for ref in (dossier.ref, dossier.helped) if ref is not None]
