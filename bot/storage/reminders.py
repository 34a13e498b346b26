"""The reminder outbox: rows claimed atomically, so each reminder is delivered by one worker."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Exists,
    and_,
    exists,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.codec import replies_from_json, replies_to_json
from bot.storage.sql import per_row, per_row_batch, per_row_keys, rowcount, table
from bot.storage.tables import ReminderRow
from dialogs.messages import ConversationRef, Reply


class ReminderStatus(StrEnum):
    """Where a reminder is in its life."""

    PENDING = "pending"  # waiting for due_at (also after a retryable failure)
    SENDING = "sending"  # claimed by a worker; reclaimable once its lease runs out
    HELD = "held"  # the channel's window was closed; goes out with the citizen's next message
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Reminder:
    """One reminder row; ``replies`` are kept once rendered so a retry sends the same text."""

    id: int
    ref: ConversationRef
    due_at: datetime
    payload: str
    status: ReminderStatus
    attempts: int
    claimed_at: datetime | None
    replies: tuple[Reply, ...] | None
    last_error: str | None
    facts: dict[str, Any] | None = None


_REMINDERS = table(ReminderRow)
"""The table itself, for the statements each notice costs (see ``bot.storage.sql.table``)."""


def _reminder(row: Any) -> Reminder:
    """The reminder a row (of the table, or the mapped class) stands for."""
    return Reminder(
        id=row.id,
        ref=ConversationRef(row.channel, row.user_id),
        due_at=row.due_at,
        payload=row.payload,
        status=ReminderStatus(row.status),
        attempts=row.attempts,
        claimed_at=row.claimed_at,
        replies=None if row.replies is None else replies_from_json(row.replies),
        last_error=row.last_error,
        facts=row.facts,
    )


@lru_cache(maxsize=128)
def _store_replies(size: int) -> Any:
    """``store_replies_all``'s statement for ``size`` reminders, built once per size: each
    row's claim and replies picked by ``CASE id`` (``per_row``)."""
    key, claimed_at = _REMINDERS.c.id, _REMINDERS.c.claimed_at
    return (
        update(_REMINDERS)
        .where(
            per_row_keys(key, size),
            _REMINDERS.c.status == ReminderStatus.SENDING,
            claimed_at == per_row(key, claimed_at, size),
        )
        .values(replies=per_row(key, _REMINDERS.c.replies, size))
        .returning(key)
    )


def any_held(channel: ColumnElement[str], user_id: ColumnElement[str]) -> Exists:
    """Whether reminders are held for an app, to be read with another statement: a turn
    looks for them (:meth:`SqlReminders.take_held`) only when there are some."""
    return exists().where(
        _REMINDERS.c.channel == channel,
        _REMINDERS.c.user_id == user_id,
        _REMINDERS.c.status == ReminderStatus.HELD,
    )


class SqlReminders:
    """Reminder rows, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(
        self,
        ref: ConversationRef,
        due_at: datetime,
        payload: str,
        now: datetime,
        *,
        facts: dict[str, Any] | None = None,
    ) -> int:
        """Add a pending reminder; returns its id.

        With ``facts`` it is a notice motcua raised itself (a portal receipt, a status change),
        rendered by the dialogs as an internal message carrying them.
        """
        row = ReminderRow(
            facts=facts,
            channel=ref.channel,
            user_id=ref.user_id,
            due_at=due_at,
            payload=payload,
            status=ReminderStatus.PENDING,
            attempts=0,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def schedule_notices(
        self, notices: Sequence[tuple[ConversationRef, str, dict[str, Any]]], now: datetime
    ) -> None:
        """Add notices motcua raised itself, each (to whom, payload, facts), due ``now``, with
        one statement: a burst of status changes costs one insert, not one each."""
        if not notices:
            return
        await self._session.execute(
            insert(ReminderRow),
            [
                {
                    "facts": facts,
                    "channel": ref.channel,
                    "user_id": ref.user_id,
                    "due_at": now,
                    "payload": payload,
                    "status": ReminderStatus.PENDING,
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for ref, payload, facts in notices
            ],
        )

    async def get(self, reminder_id: int) -> Reminder | None:
        """One reminder by id."""
        row = await self._session.get(ReminderRow, reminder_id)
        return None if row is None else _reminder(row)

    async def for_conversation(self, ref: ConversationRef) -> list[Reminder]:
        """Every reminder of a conversation, soonest first."""
        rows = await self._session.scalars(
            select(ReminderRow)
            .where(ReminderRow.channel == ref.channel, ReminderRow.user_id == ref.user_id)
            .order_by(ReminderRow.due_at, ReminderRow.id)
        )
        return [_reminder(row) for row in rows]

    async def claim_due(
        self,
        now: datetime,
        lease: timedelta,
        limit: int,
        channels: Collection[str] | None = None,
    ) -> list[Reminder]:
        """Mark up to ``limit`` due reminders as sending and return them, soonest first (of
        ``channels`` only, when given).

        One ``UPDATE … RETURNING`` claims them: SQLite runs it as its one writer, and on
        PostgreSQL its subquery skips rows another worker has locked (FOR UPDATE SKIP LOCKED),
        the outer condition checking them again once locked. A reminder whose worker died
        mid-send is reclaimed once its lease has run out: its ``updated_at``, which a live
        worker keeps renewing (``renew``), is older than ``lease``. ``claimed_at`` becomes
        ``now``, the claim that guards every later update of the row.
        """
        claimable = or_(
            and_(_REMINDERS.c.status == ReminderStatus.PENDING, _REMINDERS.c.due_at <= now),
            and_(
                _REMINDERS.c.status == ReminderStatus.SENDING,
                _REMINDERS.c.updated_at <= now - lease,
            ),
        )
        if channels is not None:
            claimable = and_(claimable, _REMINDERS.c.channel.in_(channels))
        # Materialized, so that PostgreSQL picks the rows once: run again for each row the
        # UPDATE met, the locking subquery skipped the rows this statement had just claimed
        # and handed over the next ones, past the limit.
        due = (
            select(_REMINDERS.c.id)
            .where(claimable)
            .order_by(_REMINDERS.c.due_at, _REMINDERS.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("due")
            .prefix_with("MATERIALIZED", dialect="postgresql")
        )
        rows = await self._session.execute(
            update(_REMINDERS)
            .where(_REMINDERS.c.id.in_(select(due.c.id)), claimable)
            .values(status=ReminderStatus.SENDING, claimed_at=now, updated_at=now)
            .returning(*_REMINDERS.c)
        )
        claimed = [_reminder(row) for row in rows]
        return sorted(claimed, key=lambda reminder: (reminder.due_at, reminder.id))

    async def renew(self, reminders: Sequence[Reminder], now: datetime) -> int:
        """Extend the lease on reminders this worker still holds; how many it still holds.

        The claim itself (``claimed_at``, which guards every finishing update) is unchanged,
        so a renewal never races a delivery of the same row being marked done.
        """
        renewed = 0
        for reminder in reminders:
            renewed += rowcount(
                await self._session.execute(
                    update(ReminderRow)
                    .where(
                        ReminderRow.id == reminder.id,
                        ReminderRow.status == ReminderStatus.SENDING,
                        ReminderRow.claimed_at == reminder.claimed_at,
                    )
                    .values(updated_at=now)
                )
            )
        return renewed

    async def store_replies_all(
        self, rendered: Sequence[tuple[Reminder, Sequence[Reply]]]
    ) -> set[int]:
        """Keep each claimed reminder's rendered replies, with one statement for them all
        (same transaction as their turns); the ids of those still this worker's."""
        if not rendered:
            return set()
        ids = [reminder.id for reminder, _ in rendered]
        statement, values = per_row_batch(
            _store_replies,
            ids,
            claimed_at=[reminder.claimed_at for reminder, _ in rendered],
            replies=[replies_to_json(replies) for _, replies in rendered],
        )
        kept = await self._session.scalars(statement, values)
        return set(kept)

    async def mark_done_all(self, reminders: Sequence[Reminder], now: datetime) -> int:
        """Delivered, all of them in one statement per claim; how many were still this
        worker's (the others' lease ran out and another worker took them)."""
        claims: dict[datetime | None, list[int]] = {}
        for reminder in reminders:
            claims.setdefault(reminder.claimed_at, []).append(reminder.id)
        done = 0
        for claimed_at, ids in claims.items():
            result = await self._session.execute(
                update(_REMINDERS)
                .where(
                    _REMINDERS.c.id.in_(ids),
                    _REMINDERS.c.status == ReminderStatus.SENDING,
                    _REMINDERS.c.claimed_at == claimed_at,
                )
                .values(status=ReminderStatus.DONE, updated_at=now)
            )
            done += rowcount(result)
        return done

    async def retry(self, reminder: Reminder, due_at: datetime, error: str, now: datetime) -> bool:
        """Put back as pending for another attempt at ``due_at``."""
        return await self._finish(
            reminder,
            status=ReminderStatus.PENDING,
            due_at=due_at,
            attempts=reminder.attempts + 1,
            claimed_at=None,
            last_error=error[:64],
            updated_at=now,
        )

    async def hold(self, reminder: Reminder, error: str, now: datetime) -> bool:
        """Keep a rendered reminder the channel refused (window closed) for the next turn."""
        return await self._finish(
            reminder,
            status=ReminderStatus.HELD,
            attempts=reminder.attempts + 1,
            claimed_at=None,
            last_error=error[:64],
            updated_at=now,
        )

    async def take_held(self, ref: ConversationRef, now: datetime) -> list[Reply]:
        """Mark the conversation's held reminders done and return their replies, oldest first.

        Called inside the turn of the citizen's next message, so the replies go out with its
        answer exactly once: the guarded UPDATE leaves a row already taken by another turn.
        """
        rows = (
            await self._session.execute(
                select(ReminderRow.id, ReminderRow.replies)
                .where(
                    ReminderRow.channel == ref.channel,
                    ReminderRow.user_id == ref.user_id,
                    ReminderRow.status == ReminderStatus.HELD,
                )
                .order_by(ReminderRow.due_at, ReminderRow.id)
                .with_for_update()
            )
        ).all()
        replies: list[Reply] = []
        for reminder_id, stored in rows:
            result = await self._session.execute(
                update(ReminderRow)
                .where(ReminderRow.id == reminder_id, ReminderRow.status == ReminderStatus.HELD)
                .values(status=ReminderStatus.DONE, updated_at=now)
            )
            if rowcount(result) == 1 and stored is not None:
                replies.extend(replies_from_json(stored))
        return replies

    async def mark_failed(self, reminder: Reminder, error: str, now: datetime) -> bool:
        """Give up on a reminder for good."""
        return await self._finish(
            reminder,
            status=ReminderStatus.FAILED,
            attempts=reminder.attempts + 1,
            last_error=error[:64],
            updated_at=now,
        )

    async def _finish(self, reminder: Reminder, **values: object) -> bool:
        # Only the worker holding the current claim may move the row on.
        result = await self._session.execute(
            update(ReminderRow)
            .where(
                ReminderRow.id == reminder.id,
                ReminderRow.status == ReminderStatus.SENDING,
                ReminderRow.claimed_at == reminder.claimed_at,
            )
            .values(**values)
        )
        return rowcount(result) == 1
