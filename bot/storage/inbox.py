"""The inbox table: incoming messages kept from the platform's 200 until their replies are sent.

A row is inserted (and committed) before the platform is answered, so a crash afterwards loses
nothing; its unique (channel, message id) makes a redelivery find the same row instead of a
second turn. A worker leases the oldest open row of a conversation, runs the turn and marks the
row answered in the turn's own transaction, then sends the replies, counting on the row the
platform messages accepted so far (``sent``: a send refused part way goes on from there), and
marks it done. A worker that dies leaves a lease that simply runs out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    bindparam,
    delete,
    exists,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.codec import replies_from_json, replies_to_json
from bot.storage.direct import Direct
from bot.storage.sql import dialect, per_dialect, per_row_batch, per_row_keys, rowcount, table
from bot.storage.tables import InboxRow
from bot.storage.write_lock import lock_for_claim
from dialogs.errors import MotcuaError
from dialogs.messages import Attachment, ConversationRef, IncomingMessage, Reply

PENDING = "pending"
ANSWERED = "answered"
DONE = "done"
FAILED = "failed"
OPEN = (PENDING, ANSWERED)
FINISHED = (DONE, FAILED)


_INBOX = table(InboxRow)
"""The table itself, for the statements each message costs (see ``bot.storage.sql.table``)."""


def is_open(status: Any) -> ColumnElement[bool]:
    """``status IN ('pending', 'answered')`` with the statuses written in the statement, as
    the partial index of open rows (``ix_inbox_open``) says it: a database uses that index only
    for a statement whose condition says what the index's does, and bound parameters (whose
    values a cached plan does not know) would not."""
    return status.in_([literal_column(f"'{value}'") for value in OPEN])


_ADD = per_dialect(
    lambda insert: (
        insert(_INBOX)
        .on_conflict_do_nothing(index_elements=["channel", "message_id"])
        .returning(_INBOX.c.id, _INBOX.c.channel, _INBOX.c.message_id)
    )
)
"""``add_all``'s statement, built once: every message and webhook kept runs it, its rows sent
as one multi-row INSERT (SQLAlchemy's "insertmanyvalues")."""
_EARLIER = _INBOX.alias("earlier")
_NONE_EARLIER = ~exists().where(
    _EARLIER.c.channel == _INBOX.c.channel,
    _EARLIER.c.user_id == _INBOX.c.user_id,
    _EARLIER.c.id < _INBOX.c.id,
    is_open(_EARLIER.c.status),
)
"""No older open row of the same conversation (built once: an alias's columns cost more to
set up than the claim that reads them)."""

_CLAIMABLE = (
    is_open(_INBOX.c.status),
    or_(
        _INBOX.c.lease_until.is_(None),
        _INBOX.c.lease_until < bindparam("now"),
        and_(_INBOX.c.owner == bindparam("owner"), _INBOX.c.attempts == 0),
    ),
    _NONE_EARLIER,
)
"""Open rows nobody else holds or has reserved (``:owner`` may take its own reservation, the
only lease on a row never claimed), whose conversation has no older open row (order per
user), at ``:now``."""

_ANY_CLAIMABLE = select(_INBOX.c.id).where(*_CLAIMABLE).limit(1)

_CANDIDATES = Direct(
    select(_INBOX.c.id, _INBOX.c.channel)
    .where(*_CLAIMABLE)
    .order_by(_INBOX.c.id)
    .limit(bindparam("rows", type_=Integer))
    .with_for_update(skip_locked=True, of=_INBOX)
)
"""The rows a claim may take, oldest first, by id and channel alone: a claim reads up to its
room and a whole batch besides, and decoding every such row's message (most of them left for
the next claim) cost more than the claim's statements."""


@lru_cache(maxsize=16)
def _take(size: int) -> Direct:
    """Lease the rows chosen and read them whole, in one statement, built once per batch size
    (``per_row_batch``), as the claim's others: the claim runs every time rows arrive."""
    return Direct(
        update(_INBOX)
        .where(per_row_keys(_INBOX.c.id, size))
        .values(
            owner=bindparam("taker"),
            lease_until=bindparam("until"),
            attempts=_INBOX.c.attempts + 1,
            updated_at=bindparam("at"),
        )
        .returning(*_INBOX.c)
    )


@lru_cache(maxsize=16)
def _finish(size: int) -> Direct:
    """``finish_all``'s statement for a batch of rows, built once per batch size: the rows
    sent are marked done together, every time a burst's replies have gone out."""
    return Direct(
        update(_INBOX)
        .where(per_row_keys(_INBOX.c.id, size), _INBOX.c.owner == bindparam("holder"))
        .values(
            status=bindparam("status"), owner=None, lease_until=None, updated_at=bindparam("at")
        )
    )


def _answer(**values: Any) -> Any:
    """``answered``'s statement setting ``values`` too, built once: every message runs one."""
    return (
        update(_INBOX)
        .where(
            _INBOX.c.id == bindparam("entry"),
            _INBOX.c.owner == bindparam("holder"),
            _INBOX.c.status == PENDING,
        )
        .values(replies=bindparam("replies"), updated_at=bindparam("at"), **values)
    )


_ANSWERED = Direct(_answer(status=ANSWERED))
_FINISHED = Direct(_answer(status=DONE, owner=None, lease_until=None))

_PROGRESS = Direct(
    update(_INBOX)
    .where(_INBOX.c.id == bindparam("entry"), _INBOX.c.owner == bindparam("holder"))
    .values(sent=bindparam("count"))
)
"""``progressed_all``'s statement, built once: every platform message but a reply's last runs
it."""


class ClaimLost(MotcuaError):
    """The row's lease passed to another worker (or the row moved on): this turn must not commit."""


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One inbox row as a worker or a waiting web request sees it."""

    id: int
    message: IncomingMessage
    status: str
    attempts: int
    replies: tuple[Reply, ...] | None
    request_id: str | None = None
    """The id of the request that handed the message over, so the turn's log lines share it."""
    accepted_at: datetime | None = None
    """When the message was kept: the start of its reply latency."""
    sent: int = 0
    """Platform messages of the replies the platform accepted in an earlier attempt."""


def message_to_json(message: IncomingMessage) -> dict[str, Any]:
    """What the turn needs of a message, besides its conversation and id (kept in columns)."""
    data: dict[str, Any] = {
        "text": message.text,
        "payload": message.payload,
        "locale": message.locale,
        "locale_chosen": message.locale_chosen,
        "address": message.address,
        "received_at": message.received_at.isoformat() if message.received_at else None,
    }
    if message.attachment is not None:
        data["attachment"] = asdict(message.attachment)
    return data


def message_from_json(
    channel: str, user_id: str, message_id: str, data: dict[str, Any]
) -> IncomingMessage:
    """The inverse of :func:`message_to_json`."""
    attachment = data.get("attachment")
    received_at = data.get("received_at")
    return IncomingMessage(
        ConversationRef(channel, user_id),
        text=data.get("text"),
        payload=data.get("payload"),
        attachment=Attachment(**attachment) if attachment else None,
        locale=data.get("locale"),
        locale_chosen=data.get("locale_chosen") is True,
        address=data.get("address"),
        message_id=message_id,
        received_at=datetime.fromisoformat(received_at) if received_at else None,
    )


def _entry(row: Any) -> InboxEntry:
    """The entry a row stands for."""
    return InboxEntry(
        id=row.id,
        message=message_from_json(row.channel, row.user_id, row.message_id, row.message),
        status=row.status,
        attempts=row.attempts,
        replies=None if row.replies is None else replies_from_json(row.replies),
        request_id=row.message.get("request_id"),
        accepted_at=row.accepted_at,
        sent=row.sent,
    )


class SqlInbox:
    """The ``inbox`` table within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_all(
        self,
        messages: Sequence[tuple[IncomingMessage, str, str, str | None]],
        now: datetime,
        reserve: timedelta = timedelta(0),
    ) -> list[int | None]:
        """Keep messages (each with its message id, request id and the worker it is reserved
        for, if any) with one statement; each one's row id, or None when its (channel, message
        id) was kept before, or earlier in ``messages``.

        A reserved message is claimed by no other worker for ``reserve``: the one where the
        citizen's request waits for the replies hears them the moment its own turn commits,
        while another worker's turn is only seen at its next look (``DurableInbox.answer``).
        A reservation is not a claim: it counts no attempt, and only delays other workers.
        """
        rows = [
            {
                "channel": message.ref.channel,
                "message_id": message_id,
                "user_id": message.ref.user_id,
                "message": {**message_to_json(message), "request_id": request_id},
                "status": PENDING,
                "owner": owner,
                "lease_until": None if owner is None else now + reserve,
                "attempts": 0,
                "accepted_at": now,
                "updated_at": now,
            }
            for message, message_id, request_id, owner in messages
        ]
        result = await self._session.execute(_ADD[dialect(self._session)], rows)
        added = {(channel, message_id): row_id for row_id, channel, message_id in result}
        return [
            added.pop((message.ref.channel, message_id), None)
            for message, message_id, _request_id, _owner in messages
        ]

    async def find(self, channel: str, message_id: str) -> InboxEntry | None:
        """The row kept for (channel, message id), if any."""
        row = (
            await self._session.execute(
                select(InboxRow).where(
                    InboxRow.channel == channel, InboxRow.message_id == message_id
                )
            )
        ).scalar_one_or_none()
        return None if row is None else _entry(row)

    async def get(self, entry_id: int) -> InboxEntry | None:
        """The row with this id, if it is still kept."""
        row = await self._session.get(InboxRow, entry_id, populate_existing=True)
        return None if row is None else _entry(row)

    async def open_conversations(
        self, channel: str, user_ids: Collection[str], besides: Collection[int] = ()
    ) -> set[str]:
        """Which of these conversations of ``channel`` have a row still open, other than the
        rows ``besides``: a message kept for them is applied after that row, not at once
        (order per conversation)."""
        if not user_ids:
            return set()
        found = await self._session.scalars(
            select(_INBOX.c.user_id)
            .where(
                _INBOX.c.channel == channel,
                _INBOX.c.user_id.in_(user_ids),
                _INBOX.c.status.in_(OPEN),
                _INBOX.c.id.not_in(besides),
            )
            .distinct()
        )
        return set(found)

    async def applied(self, entry_ids: Sequence[int], now: datetime) -> None:
        """Mark rows kept in this transaction done: what they carry was applied in it too (a
        portal event applied as it is received), so no worker is to claim them."""
        await self._session.execute(
            update(_INBOX)
            .where(
                _INBOX.c.id.in_(entry_ids),
                _INBOX.c.status == PENDING,
                _INBOX.c.owner.is_(None),
            )
            .values(status=DONE, replies=replies_to_json(()), updated_at=now)
        )

    async def has_claimable(self, now: datetime, owner: str) -> bool:
        """Whether worker ``owner`` could take a row right now."""
        found = await self._session.execute(_ANY_CLAIMABLE, {"now": now, "owner": owner})
        return found.first() is not None

    async def claim(
        self,
        owner: str,
        now: datetime,
        lease: timedelta,
        limit: int,
        *,
        batched: Collection[str] = (),
        batch_limit: int = 0,
    ) -> list[InboxEntry]:
        """Lease up to ``limit`` rows to ``owner``, at most one per conversation, oldest first,
        and besides them up to ``batch_limit`` rows of the ``batched`` channels: those are
        worked through together (a burst of portal events is applied in one transaction), so
        they need no room of their own and a burst is claimed in one go, not ``limit`` at a
        time.

        On PostgreSQL rows another worker is claiming are skipped rather than waited for; on
        SQLite the claim holds the write lock before it reads (``lock_for_claim``): its UPDATE
        takes the rows read by id alone.
        """
        await lock_for_claim(self._session)
        found = await _CANDIDATES.fetch(
            self._session, {"now": now, "owner": owner, "rows": limit + batch_limit}
        )
        together = [row.id for row in found if row.channel in batched][:batch_limit]
        ids = [row.id for row in found if row.channel not in batched][:limit] + together
        if not ids:
            return []
        take, keys = per_row_batch(_take, ids)
        taken = await take.fetch(
            self._session, {"taker": owner, "until": now + lease, "at": now, **keys}
        )
        return [_entry(row) for row in sorted(taken, key=lambda row: row.id)]

    async def renew(self, entry_ids: Sequence[int], owner: str, until: datetime) -> int:
        """Extend the leases the owner still holds on these rows; how many it still holds."""
        result = await self._session.execute(
            update(_INBOX)
            .where(_INBOX.c.id.in_(entry_ids), _INBOX.c.owner == owner)
            .values(lease_until=until)
        )
        return rowcount(result)

    async def answered(
        self,
        entry_id: int,
        owner: str,
        replies: Sequence[Reply],
        now: datetime,
        *,
        finished: bool = False,
    ) -> None:
        """Mark the turn done, in the turn's transaction, keeping its replies to send.

        With ``finished`` (nothing will be sent: the portal's events) the row is released as
        done at once, saving the transaction that would do so after sending.

        Raises:
            ClaimLost: another worker holds the row or answered it; the turn must roll back.
        """
        marked = await (_FINISHED if finished else _ANSWERED).execute(
            self._session,
            {"entry": entry_id, "holder": owner, "replies": replies_to_json(replies), "at": now},
        )
        if marked != 1:
            raise ClaimLost("the inbox row is no longer this worker's")

    async def progressed_all(self, counts: Sequence[tuple[int, int]], owner: str) -> None:
        """Note, for each (row id, count), that the platform accepted the first ``count``
        messages of the row's replies, with one statement for the lot; rows the owner no
        longer holds are left as they are (their new holder sends them)."""
        await _PROGRESS.execute_many(
            self._session,
            [{"entry": entry_id, "holder": owner, "count": count} for entry_id, count in counts],
        )

    async def done_all(self, entry_ids: Sequence[int], owner: str, now: datetime) -> None:
        """Mark rows of messages that answer nothing (the portal's events) done and release
        them, in the transaction that applied them, with one statement for the lot.

        Raises:
            ClaimLost: one of them is no longer this owner's (or no longer pending); the
                transaction must roll back.
        """
        result = await self._session.execute(
            update(_INBOX)
            .where(_INBOX.c.id.in_(entry_ids), _INBOX.c.owner == owner, _INBOX.c.status == PENDING)
            .values(
                status=DONE,
                owner=None,
                lease_until=None,
                replies=replies_to_json(()),
                updated_at=now,
            )
        )
        if rowcount(result) != len(set(entry_ids)):
            raise ClaimLost("an inbox row is no longer this worker's")

    async def postpone(self, entry_id: int, owner: str, until: datetime, now: datetime) -> None:
        """Hand the row back to be claimed again after ``until`` without counting this attempt:
        its conversation was busy, or the platform refused its replies for a while, which is no
        fault of the message's own."""
        await self._session.execute(
            update(_INBOX)
            .where(_INBOX.c.id == entry_id, _INBOX.c.owner == owner)
            .values(owner=None, lease_until=until, attempts=_INBOX.c.attempts - 1, updated_at=now)
        )

    async def finish(self, entry_id: int, owner: str, status: str, now: datetime) -> None:
        """Release the row as done (replies sent) or failed (given up)."""
        await self.finish_all([entry_id], owner, status, now)

    async def finish_all(
        self, entry_ids: Sequence[int], owner: str, status: str, now: datetime
    ) -> None:
        """Release the rows the owner holds as done or failed, with one statement."""
        finish, keys = per_row_batch(_finish, entry_ids)
        await finish.execute(self._session, {"holder": owner, "status": status, "at": now, **keys})

    async def prune(self, before: datetime) -> int:
        """Forget finished rows last touched before ``before`` (platforms stop redelivering
        within a day), and with them the texts they kept."""
        result = await self._session.execute(
            delete(InboxRow).where(InboxRow.status.in_(FINISHED), InboxRow.updated_at < before)
        )
        return rowcount(result)
