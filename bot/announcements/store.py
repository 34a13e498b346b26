"""Announcements and their deliveries in the database, within the caller's session.

``SqlAnnouncements`` is what authors and readers use (create, cancel, progress, the latest
ones of a commune); ``SqlDeliveries`` is the sender's side: fan-out, claims and outcomes.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from bot.announcements.compose import Author, Composed
from bot.storage.sql import dialect_insert, rowcount
from bot.storage.tables import (
    AnnouncementDeliveryRow,
    AnnouncementRow,
    AnnouncementTargetRow,
    SubscriptionRow,
    UnreachableUserRow,
    UserRow,
)
from bot.storage.write_lock import lock_for_claim
from dialogs.messages import ConversationRef


class State(StrEnum):
    """Where an announcement is in its life."""

    SCHEDULED = "scheduled"  # waiting for its time; may still be cancelled
    SENDING = "sending"  # fanned out: its deliveries are being sent
    DONE = "done"  # every delivery reached an outcome
    CANCELLED = "cancelled"


class Delivery(StrEnum):
    """What became of an announcement on one subscriber's app."""

    QUEUED = "queued"  # to be sent (also while a worker holds it, and between retries)
    SENT = "sent"
    FAILED = "failed"  # the platform kept refusing; given up
    UNREACHABLE = "unreachable"  # the platform's messaging window is closed: not sent
    BLOCKED = "blocked"  # the citizen blocked the bot or left: not sent, skipped next time


class Cancel(StrEnum):
    """What ``SqlAnnouncements.cancel`` did, or why it did not."""

    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"
    STARTED = "started"  # sending already began: some citizens may have it
    FINISHED = "finished"
    ALREADY = "already"  # cancelled before


@dataclass(frozen=True, slots=True)
class Announcement:
    """One announcement (its picture is fetched apart, by ``SqlAnnouncements.image``)."""

    id: int
    author: str
    author_staff_id: int | None
    text_vi: str
    text_en: str | None
    image_type: str | None
    link: str | None
    communes: tuple[int, ...]
    provinces: tuple[int, ...]
    send_at: datetime
    state: State
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    def text(self, locale: str | None) -> str:
        """The text for a reader of ``locale``: English where written, else Vietnamese."""
        return self.text_en if locale == "en" and self.text_en else self.text_vi


@dataclass(frozen=True, slots=True)
class Progress:
    """How many deliveries of an announcement are in each state, per channel."""

    by_channel: dict[str, dict[Delivery, int]]

    def total(self, state: Delivery | None = None) -> int:
        """Deliveries in ``state`` over every channel (all of them with None)."""
        return sum(
            count
            for counts in self.by_channel.values()
            for each, count in counts.items()
            if state is None or each is state
        )

    @property
    def finished(self) -> bool:
        """Whether no delivery is still to be sent."""
        return self.total(Delivery.QUEUED) == 0


FINAL = (Delivery.SENT, Delivery.FAILED, Delivery.UNREACHABLE, Delivery.BLOCKED)

_QUEUED = AnnouncementDeliveryRow.state == literal_column(f"'{Delivery.QUEUED.value}'")
"""The predicate of the partial index on queued deliveries, written as the index's own
literal: a database uses a partial index only for a query whose WHERE says the same, and a
bound value (``state = ?``) does not."""


_Query = TypeVar("_Query", bound=Select[*tuple[Any, ...]])


def _blocked() -> ColumnElement[bool]:
    """The subscriber's app is known to have blocked the bot and has not written since.

    Only Telegram tells a bot when it is unblocked; on the other apps a citizen who writes
    again can be written to again, so a later message clears the mark here.
    """
    return and_(
        UnreachableUserRow.user_id.is_not(None),
        or_(UserRow.last_seen_at.is_(None), UserRow.last_seen_at <= UnreachableUserRow.since),
    )


def _with_app_state(
    query: _Query, app: type[SubscriptionRow] | type[AnnouncementDeliveryRow] = SubscriptionRow
) -> _Query:
    """Subscribers (or deliveries: ``app``) joined to their app's user row and unreachable mark
    (either may be absent)."""
    return query.outerjoin(
        UserRow,
        and_(UserRow.channel == app.channel, UserRow.user_id == app.user_id),
    ).outerjoin(
        UnreachableUserRow,
        and_(UnreachableUserRow.channel == app.channel, UnreachableUserRow.user_id == app.user_id),
    )


class SqlAnnouncements:
    """The ``announcements`` and ``announcement_targets`` tables, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(self, composed: Composed, author: Author, now: datetime) -> Announcement:
        """Keep a checked announcement, scheduled for ``composed.send_at``."""
        row = AnnouncementRow(
            author=author.name,
            author_staff_id=author.staff_id,
            text_vi=composed.text_vi,
            text_en=composed.text_en,
            image=composed.image,
            image_type=composed.image_type,
            link=composed.link,
            provinces=list(composed.provinces),
            send_at=composed.send_at,
            state=State.SCHEDULED,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        self._session.add_all(
            AnnouncementTargetRow(announcement_id=row.id, commune_code=code)
            for code in composed.communes
        )
        await self._session.flush()
        return _announcement(row, composed.communes)

    async def cancel(self, announcement_id: int, now: datetime) -> Cancel:
        """Cancel an announcement whose sending has not begun; otherwise say why not."""
        result = await self._session.execute(
            update(AnnouncementRow)
            .where(AnnouncementRow.id == announcement_id, AnnouncementRow.state == State.SCHEDULED)
            .values(state=State.CANCELLED, finished_at=now, updated_at=now)
        )
        if rowcount(result) == 1:
            return Cancel.CANCELLED
        state = await self._session.scalar(
            select(AnnouncementRow.state).where(AnnouncementRow.id == announcement_id)
        )
        return {
            None: Cancel.NOT_FOUND,
            State.SENDING: Cancel.STARTED,
            State.DONE: Cancel.FINISHED,
            State.CANCELLED: Cancel.ALREADY,
        }.get(None if state is None else State(state), Cancel.NOT_FOUND)

    async def get(self, announcement_id: int) -> Announcement | None:
        """One announcement by id."""
        found = await self._fetch(
            select(AnnouncementRow).where(AnnouncementRow.id == announcement_id)
        )
        return found[0] if found else None

    async def image(self, announcement_id: int) -> tuple[bytes, str] | None:
        """The announcement's picture and its MIME type, if it has one."""
        row = (
            await self._session.execute(
                select(AnnouncementRow.image, AnnouncementRow.image_type).where(
                    AnnouncementRow.id == announcement_id
                )
            )
        ).one_or_none()
        if row is None or row.image is None or row.image_type is None:
            return None
        return row.image, row.image_type

    async def progress(self, announcement_id: int) -> Progress:
        """Deliveries per channel and state (no rows before the announcement is fanned out)."""
        rows = await self._session.execute(
            select(
                AnnouncementDeliveryRow.channel,
                AnnouncementDeliveryRow.state,
                func.count(),
            )
            .where(AnnouncementDeliveryRow.announcement_id == announcement_id)
            .group_by(AnnouncementDeliveryRow.channel, AnnouncementDeliveryRow.state)
        )
        counts: dict[str, dict[Delivery, int]] = {}
        for channel, state, count in rows:
            counts.setdefault(channel, dict.fromkeys(Delivery, 0))[Delivery(state)] = count
        return Progress(counts)

    async def audience(self, communes: Iterable[int]) -> dict[str, int]:
        """Subscribers of ``communes`` per channel who would be sent to now (not blocked)."""
        rows = await self._session.execute(
            _with_app_state(select(SubscriptionRow.channel, func.count()))
            .where(SubscriptionRow.commune_code.in_(builtins.list(communes)), ~_blocked())
            .group_by(SubscriptionRow.channel)
        )
        return {channel: count for channel, count in rows}

    async def latest_for_commune(
        self, code: int, limit: int, now: datetime
    ) -> builtins.list[Announcement]:
        """The announcements sent to commune ``code`` (GSO code), newest first."""
        return await self._fetch(
            select(AnnouncementRow)
            .join(AnnouncementTargetRow)
            .where(
                AnnouncementTargetRow.commune_code == code,
                AnnouncementRow.state.in_([State.SENDING, State.DONE]),
                AnnouncementRow.send_at <= now,
            )
            .order_by(AnnouncementRow.send_at.desc(), AnnouncementRow.id.desc())
            .limit(limit)
        )

    async def list(self, communes: Iterable[int] | None, limit: int) -> builtins.list[Announcement]:
        """The newest announcements addressing any of ``communes`` (every one with None)."""
        query = select(AnnouncementRow)
        if communes is not None:
            query = query.where(
                AnnouncementRow.id.in_(
                    select(AnnouncementTargetRow.announcement_id).where(
                        AnnouncementTargetRow.commune_code.in_(builtins.list(communes))
                    )
                )
            )
        return await self._fetch(
            query.order_by(AnnouncementRow.created_at.desc(), AnnouncementRow.id.desc()).limit(
                limit
            )
        )

    async def _fetch(self, query: Any) -> builtins.list[Announcement]:
        # The picture is left in the database: lists never need it.
        rows = builtins.list(
            await self._session.scalars(query.options(defer(AnnouncementRow.image)))
        )
        targets: dict[int, builtins.list[int]] = {row.id: [] for row in rows}
        if targets:
            found = await self._session.execute(
                select(AnnouncementTargetRow.announcement_id, AnnouncementTargetRow.commune_code)
                .where(AnnouncementTargetRow.announcement_id.in_(builtins.list(targets)))
                .order_by(AnnouncementTargetRow.commune_code)
            )
            for announcement_id, code in found:
                targets[announcement_id].append(code)
        return [_announcement(row, targets[row.id]) for row in rows]


def _announcement(row: AnnouncementRow, communes: Sequence[int]) -> Announcement:
    return Announcement(
        id=row.id,
        author=row.author,
        author_staff_id=row.author_staff_id,
        text_vi=row.text_vi,
        text_en=row.text_en,
        image_type=row.image_type,
        link=row.link,
        communes=tuple(communes),
        provinces=tuple(row.provinces),
        send_at=row.send_at,
        state=State(row.state),
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
    )


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery a worker holds: send it, then record its outcome with the same claim."""

    id: int
    announcement_id: int
    ref: ConversationRef
    commune_code: int
    locale: str | None
    attempts: int
    claimed_by: str


def _held(ids: Sequence[int], claimant: str) -> ColumnElement[bool]:
    """The deliveries among ``ids`` that the claim ``claimant`` still holds, by primary key.

    A delivery carries a claim token only while it is queued (every outcome, retry and
    hand-back clears it, and each round's token is new), so the token alone says the claim
    holds. A test of the state as well let the planner take the index of queued rows instead
    of the primary key (PostgreSQL plans with the bound values, and until the table is
    analysed after a fan-out it counts a few queued rows, not 100,000): every queued delivery
    was read for each group of sends.
    """
    return and_(AnnouncementDeliveryRow.id.in_(ids), AnnouncementDeliveryRow.claimed_by == claimant)


class SqlDeliveries:
    """The sender's side of ``announcement_deliveries``, in the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def due(self, now: datetime) -> list[int]:
        """Scheduled announcements whose time has come, oldest first."""
        found = await self._session.scalars(
            select(AnnouncementRow.id)
            .where(AnnouncementRow.state == State.SCHEDULED, AnnouncementRow.send_at <= now)
            .order_by(AnnouncementRow.send_at, AnnouncementRow.id)
        )
        return list(found)

    async def fan_out(
        self, announcement_id: int, now: datetime, channels: Collection[str]
    ) -> int | None:
        """Start sending: one queued delivery per subscriber of the target communes now.

        The guarded move from scheduled to sending comes first: it takes the row's write lock,
        so of two workers (or a cancel) only one goes on, and the deliveries are inserted in
        the same transaction (an INSERT ... SELECT that skips rows already there, so even a
        second fan-out adds nothing twice). Citizens known to have blocked the bot on that app
        are counted blocked at once and never sent to; those on an app this deployment does
        not run (``channels`` are the ones it does) failed, as nothing could ever send them.
        Returns the deliveries added, or None when the announcement was not scheduled any more.
        """
        started = await self._session.execute(
            update(AnnouncementRow)
            .where(AnnouncementRow.id == announcement_id, AnnouncementRow.state == State.SCHEDULED)
            .values(state=State.SENDING, started_at=now, updated_at=now)
        )
        if rowcount(started) != 1:
            return None
        queued, failed = literal(Delivery.QUEUED.value), literal(Delivery.FAILED.value)
        subscribers = _with_app_state(
            select(
                literal(announcement_id),
                SubscriptionRow.channel,
                SubscriptionRow.user_id,
                SubscriptionRow.commune_code,
                UserRow.locale,
                case(
                    (~SubscriptionRow.channel.in_(builtins.list(channels)), failed),
                    (_blocked(), literal(Delivery.BLOCKED.value)),
                    else_=queued,
                ),
                literal(0),
                literal(now, AnnouncementDeliveryRow.due_at.type),
                literal(now, AnnouncementDeliveryRow.updated_at.type),
            ).join(
                AnnouncementTargetRow,
                and_(
                    AnnouncementTargetRow.announcement_id == announcement_id,
                    AnnouncementTargetRow.commune_code == SubscriptionRow.commune_code,
                ),
            )
        )
        columns = [
            "announcement_id",
            "channel",
            "user_id",
            "commune_code",
            "locale",
            "state",
            "attempts",
            "due_at",
            "updated_at",
        ]
        insert = dialect_insert(self._session, AnnouncementDeliveryRow)
        added = await self._session.execute(
            insert.from_select(columns, subscribers).on_conflict_do_nothing(
                index_elements=["announcement_id", "channel", "user_id"]
            )
        )
        return rowcount(added)

    async def claim(
        self,
        now: datetime,
        lease: timedelta,
        limit: int,
        claimant: str,
        channels: Sequence[str],
        held: Collection[int] = (),
    ) -> list[Claimed]:
        """Take up to ``limit`` queued deliveries due now on ``channels``, for ``lease``.

        Three statements, whatever the number of queued deliveries: the oldest due, read in
        the order of the partial index on queued rows (``_QUEUED``) when one channel is asked
        for, as the sender does (several are read apart and sorted); their claim, by id, which
        returns what a send needs; and the move of those whose citizen blocked the bot since
        the fan-out to blocked (they are not returned). PostgreSQL skips rows another worker
        has locked (FOR UPDATE SKIP LOCKED); on SQLite the claim takes the database's one write
        lock before it reads (``lock_for_claim``). A delivery
        whose worker died is taken again once its lease has run out; each round has its own
        ``claimant`` token. ``held`` are the deliveries the caller holds already: never taken
        again by it, even once their lease ran out (``bot.announcements.holding``).
        """
        await lock_for_claim(self._session)
        free = or_(
            AnnouncementDeliveryRow.claimed_at.is_(None),
            AnnouncementDeliveryRow.claimed_at <= now - lease,
        )
        candidates = list(
            await self._session.scalars(
                select(AnnouncementDeliveryRow.id)
                .where(
                    _QUEUED,
                    AnnouncementDeliveryRow.channel.in_(list(channels)),
                    AnnouncementDeliveryRow.due_at <= now,
                    free,
                    *([AnnouncementDeliveryRow.id.not_in(list(held))] if held else []),
                )
                # Only by due time, the index's own order: adding the id made PostgreSQL read
                # and sort every delivery due at the same moment (a whole fan-out) per claim.
                .order_by(AnnouncementDeliveryRow.due_at)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        )
        if not candidates:
            return []
        # By id, the lease checked again; no state test: the candidates are queued (locked, by
        # FOR UPDATE or SQLite's write lock), and one here let the planner read every queued
        # row (``_held``).
        rows = await self._session.execute(
            update(AnnouncementDeliveryRow)
            .where(AnnouncementDeliveryRow.id.in_(candidates), free)
            .values(claimed_by=claimant, claimed_at=now)
            .returning(
                AnnouncementDeliveryRow.id,
                AnnouncementDeliveryRow.announcement_id,
                AnnouncementDeliveryRow.channel,
                AnnouncementDeliveryRow.user_id,
                AnnouncementDeliveryRow.commune_code,
                AnnouncementDeliveryRow.locale,
                AnnouncementDeliveryRow.attempts,
            )
            .execution_options(synchronize_session=False)
        )
        claimed = {
            id_: Claimed(
                id_, announcement, ConversationRef(channel, user), code, locale, tries, claimant
            )
            for id_, announcement, channel, user, code, locale, tries in rows
        }
        for blocked in await self._skip_blocked(list(claimed), now):
            del claimed[blocked]
        return [claimed[id_] for id_ in sorted(claimed)]

    async def _skip_blocked(self, claimed: list[int], now: datetime) -> list[int]:
        """Count blocked, unsent, the ``claimed`` deliveries whose citizen blocked the bot since
        the fan-out; their ids. One statement for the whole claim, where a check before each
        send would cost a query per message (``send_prechecked``)."""
        blocked = _with_app_state(
            select(AnnouncementDeliveryRow.id), AnnouncementDeliveryRow
        ).where(AnnouncementDeliveryRow.id.in_(claimed), _blocked())
        return list(
            await self._session.scalars(
                update(AnnouncementDeliveryRow)
                .where(AnnouncementDeliveryRow.id.in_(blocked))
                .values(state=Delivery.BLOCKED, claimed_by=None, claimed_at=None, updated_at=now)
                .returning(AnnouncementDeliveryRow.id)
                .execution_options(synchronize_session=False)
            )
        )

    async def renew(self, held: Sequence[Claimed], now: datetime) -> list[int]:
        """Date the leases of the deliveries in ``held`` whose claim still holds ``now``; their
        ids. Rows another transaction has locked are skipped, not waited for: being settled, or
        taken by another worker, they need no renewal."""
        holding = select(AnnouncementDeliveryRow.id).where(
            AnnouncementDeliveryRow.id.in_([each.id for each in held]),
            AnnouncementDeliveryRow.claimed_by.in_({each.claimed_by for each in held}),
        )
        return list(
            await self._session.scalars(
                update(AnnouncementDeliveryRow)
                .where(AnnouncementDeliveryRow.id.in_(holding.with_for_update(skip_locked=True)))
                .values(claimed_at=now)
                .returning(AnnouncementDeliveryRow.id)
                .execution_options(synchronize_session=False)
            )
        )

    async def settle_sent(self, sent: Sequence[Claimed], now: datetime) -> list[Claimed]:
        """Record many sends, one statement per claim they came from; those whose claim still
        held, which alone may be logged as sent (a lapsed claim's delivery is another's now)."""
        by_claim: dict[str, list[Claimed]] = {}
        for each in sent:
            by_claim.setdefault(each.claimed_by, []).append(each)
        settled: list[Claimed] = []
        for claimant, deliveries in by_claim.items():
            moved = set(
                await self._session.scalars(
                    update(AnnouncementDeliveryRow)
                    .where(_held([each.id for each in deliveries], claimant))
                    .values(
                        state=Delivery.SENT,
                        attempts=AnnouncementDeliveryRow.attempts + 1,
                        sent_at=now,
                        last_error=None,
                        claimed_by=None,
                        claimed_at=None,
                        updated_at=now,
                    )
                    .returning(AnnouncementDeliveryRow.id)
                    .execution_options(synchronize_session=False)
                )
            )
            settled += [each for each in deliveries if each.id in moved]
        return settled

    async def settle(
        self, claimed: Claimed, state: Delivery, now: datetime, error: str | None = None
    ) -> bool:
        """Record a final outcome; False when the claim was lost (another worker has it)."""
        return await self._move(
            claimed,
            state=state,
            attempts=claimed.attempts + 1,
            sent_at=now if state is Delivery.SENT else None,
            last_error=None if error is None else error[:64],
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        )

    async def retry(
        self, claimed: Claimed, due_at: datetime, error: str, now: datetime, *, count: bool = True
    ) -> bool:
        """Put a delivery back for another attempt at ``due_at``.

        ``count`` False when the platform only asked to slow down: that is no failed attempt.
        """
        return await self._move(
            claimed,
            attempts=claimed.attempts + int(count),
            due_at=due_at,
            last_error=error[:64],
            claimed_by=None,
            claimed_at=None,
            updated_at=now,
        )

    async def release(self, claimed: Sequence[Claimed], now: datetime) -> None:
        """Hand back deliveries not tried (the worker is stopping): no attempt is counted."""
        for each in claimed:
            await self._move(each, claimed_by=None, claimed_at=None, updated_at=now)

    async def finish(self, now: datetime) -> list[int]:
        """Mark done every sending announcement with no delivery left queued; their ids."""
        finished = list(
            await self._session.scalars(
                select(AnnouncementRow.id).where(
                    AnnouncementRow.state == State.SENDING,
                    ~select(AnnouncementDeliveryRow.id)
                    .where(
                        AnnouncementDeliveryRow.announcement_id == AnnouncementRow.id,
                        AnnouncementDeliveryRow.state == Delivery.QUEUED,
                    )
                    .exists(),
                )
            )
        )
        if finished:
            await self._session.execute(
                update(AnnouncementRow)
                .where(AnnouncementRow.id.in_(finished), AnnouncementRow.state == State.SENDING)
                .values(state=State.DONE, finished_at=now, updated_at=now)
            )
        return finished

    async def _move(self, claimed: Claimed, **values: Any) -> bool:
        # Only the worker holding the current claim may move the row on.
        result = await self._session.execute(
            update(AnnouncementDeliveryRow)
            .where(_held([claimed.id], claimed.claimed_by))
            .values(**values)
        )
        return rowcount(result) == 1
