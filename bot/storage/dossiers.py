"""Dossiers filed from the chat: the outbox of filings and what the portal said about each.

A confirmed filing becomes a ``queued`` row in the turn's transaction, with the idempotency key
the dialog fixed when the filing began. The sender claims queued rows, files them with that key
(so a crash or a retry never files twice) and records the portal's receipt; later status changes
update the row only when they are newer than the last one announced, which is what keeps a
change from being announced twice when both the webhook and the polling loop see it.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from bot.storage.consents import ConsentRequest
from bot.storage.identity import on_citizens_apps
from bot.storage.sql import dialect_insert, per_row, per_row_batch, per_row_keys, rowcount, table
from bot.storage.tables import DossierAuditRow, DossierRow
from dialogs.messages import ConversationRef
from dialogs.ports import PortalDossier
from dialogs.step import SubmitDossier

QUEUED = "queued"
FILED = "filed"
REJECTED = "rejected"

CONSENTED_BY_CODE = "consented_by_code"
FILED_ON_BEHALF = "filed_on_behalf"
VIEWED_ON_BEHALF = "viewed_on_behalf"


@dataclass(frozen=True, slots=True)
class Dossier:
    """One filing as motcua keeps it."""

    id: int
    key: str
    ref: ConversationRef
    procedure: str
    request: dict[str, Any]
    state: str
    attempts: int
    code: str | None
    status: str | None
    due_date: date | None
    delivery: str
    announced_at: datetime | None
    fee_amount: int | None
    payment_url: str | None
    commune: str | None = None
    """The citizen's commune when they filed, whose staff see the dossier in the console."""
    created_at: datetime | None = None
    helped: ConversationRef | None = None
    """The chat of the person filed for, when they consented there: told every change too."""

    @property
    def on_behalf(self) -> bool:
        """Whether it was filed for someone else (a volunteer's filing)."""
        return bool(self.request.get("on_behalf_of"))

    @property
    def id_number(self) -> str:
        """The applicant's ID number, the second factor of a lookup."""
        return str(self.request.get("applicant", {}).get("id_number", ""))


@dataclass(frozen=True, slots=True)
class Change:
    """A status change the portal reported for a dossier, with the due date it gave (if any)."""

    dossier: Dossier
    status: str
    due_date: date | None
    at: datetime


_DOSSIERS = table(DossierRow)
"""The table itself, for the statements a burst of status changes runs (see
``bot.storage.sql.table``)."""


@lru_cache(maxsize=128)
def _announce_all(size: int) -> Any:
    """``announce_all``'s statement for ``size`` dossiers, built once per size: each row's
    time, status and due date (kept when none is given) picked by ``CASE id`` (``per_row``)."""
    key, announced_at, status = _DOSSIERS.c.id, _DOSSIERS.c.announced_at, _DOSSIERS.c.status
    at, new_status = per_row(key, announced_at, size), per_row(key, status, size)
    due = func.coalesce(per_row(key, _DOSSIERS.c.due_date, size), _DOSSIERS.c.due_date)
    return (
        update(_DOSSIERS)
        .where(
            per_row_keys(key, size),
            or_(
                announced_at.is_(None),
                announced_at < at,
                and_(announced_at == at, status != new_status),
            ),
        )
        .values(status=new_status, announced_at=at, due_date=due, updated_at=bindparam("now"))
        .returning(key)
    )


def _dossier(row: Any) -> Dossier:
    """The dossier a row (of the table, or the mapped class) stands for."""
    return Dossier(
        id=row.id,
        key=row.idempotency_key,
        ref=ConversationRef(row.channel, row.user_id),
        procedure=row.procedure_code,
        request=row.request,
        state=row.state,
        attempts=row.attempts,
        code=row.code,
        status=row.status,
        due_date=row.due_date,
        delivery=str(row.request.get("delivery", {}).get("method", "pickup")),
        announced_at=row.announced_at,
        fee_amount=row.fee_amount,
        payment_url=row.payment_url,
        commune=row.commune,
        created_at=row.created_at,
        helped=(
            ConversationRef(row.helped_channel, row.helped_user_id)
            if row.helped_channel is not None and row.helped_user_id is not None
            else None
        ),
    )


class SqlDossiers:
    """Dossier rows, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def queue(
        self,
        ref: ConversationRef,
        effect: SubmitDossier,
        locale: str,
        now: datetime,
        commune: str | None = None,
        consent: ConsentRequest | None = None,
    ) -> bool:
        """Keep a confirmed filing to be sent; False when its key was queued already.

        ``consent`` is the agreement the person filed for gave on their own chat: that chat is
        kept to be told of every change, and the agreement starts the audit trail.
        """
        helped = consent.person if consent is not None else None
        result = await self._session.execute(
            dialect_insert(self._session, DossierRow)
            .values(
                idempotency_key=effect.key,
                channel=ref.channel,
                user_id=ref.user_id,
                locale=locale,
                procedure_code=effect.procedure,
                commune=commune,
                request=dict(effect.request),
                consent_at=datetime.fromisoformat(effect.consent_at),
                consent_version=effect.consent_version,
                helped_channel=helped.channel if helped else None,
                helped_user_id=helped.user_id if helped else None,
                state=QUEUED,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=["idempotency_key"])
        )
        if rowcount(result) != 1:
            return False
        if effect.request.get("on_behalf_of"):
            dossier_id = await self._session.scalar(
                select(DossierRow.id).where(DossierRow.idempotency_key == effect.key)
            )
            assert dossier_id is not None
            if helped is not None and consent is not None and consent.agreed_at is not None:
                await self.audit(dossier_id, helped, CONSENTED_BY_CODE, consent.agreed_at)
            await self.audit(dossier_id, ref, FILED_ON_BEHALF, now)
        return True

    async def audit(
        self, dossier_id: int, ref: ConversationRef, action: str, now: datetime
    ) -> None:
        """Keep that ``ref`` did ``action`` on a dossier filed on someone else's behalf."""
        self._session.add(
            DossierAuditRow(
                dossier_id=dossier_id,
                channel=ref.channel,
                user_id=ref.user_id,
                action=action,
                at=now,
            )
        )

    async def audit_trail(self, dossier_id: int) -> list[tuple[str, str, datetime]]:
        """(who, action, when) for a dossier, oldest first."""
        rows = await self._session.execute(
            select(
                DossierAuditRow.channel,
                DossierAuditRow.user_id,
                DossierAuditRow.action,
                DossierAuditRow.at,
            )
            .where(DossierAuditRow.dossier_id == dossier_id)
            .order_by(DossierAuditRow.id)
        )
        return [(f"{c}:{u}", a, at) for c, u, a, at in rows.all()]

    async def claim_queued(self, now: datetime, lease: timedelta, limit: int) -> list[Dossier]:
        """Queued filings due for a try; each is leased to this sender for ``lease``."""
        rows = (
            await self._session.scalars(
                select(DossierRow)
                .where(DossierRow.state == QUEUED, DossierRow.next_attempt_at <= now)
                .order_by(DossierRow.next_attempt_at, DossierRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        claimed = []
        for row in rows:
            result = await self._session.execute(
                update(DossierRow)
                .where(DossierRow.id == row.id, DossierRow.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=now + lease)
            )
            if rowcount(result) == 1:
                claimed.append(_dossier(row))
        return claimed

    async def filed(self, dossier: Dossier, answer: PortalDossier, now: datetime) -> None:
        """The portal's receipt: the dossier's code and first status."""
        await self._session.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier.id)
            .values(
                state=FILED,
                code=answer.code,
                status=answer.status,
                due_date=answer.due_date,
                fee_amount=answer.fee.amount,
                payment_url=answer.fee.payment_url,
                announced_at=answer.updated_at,
                submitted_at=now,
                updated_at=now,
                last_error=None,
            )
        )

    async def postpone(
        self, dossier: Dossier, retry_at: datetime, error: str, now: datetime
    ) -> None:
        """The portal could not be reached: try again at ``retry_at``."""
        await self._session.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier.id)
            .values(
                attempts=dossier.attempts + 1,
                next_attempt_at=retry_at,
                last_error=error[:64],
                updated_at=now,
            )
        )

    async def rejected(self, dossier: Dossier, error: str, now: datetime) -> None:
        """The portal refused the content: the filing ends here."""
        await self._session.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier.id)
            .values(state=REJECTED, last_error=error[:64], updated_at=now)
        )

    async def by_code(self, code: str) -> Dossier | None:
        """The filed dossier with this portal code."""
        return (await self.by_codes([code])).get(code)

    async def get(self, dossier_id: int) -> Dossier | None:
        """One dossier by id."""
        row = await self._session.get(DossierRow, dossier_id)
        return None if row is None else _dossier(row)

    async def listed(self, communes: Sequence[str] | None, limit: int) -> list[Dossier]:
        """The newest dossiers of ``communes`` (every commune's, and unknown ones, when None)."""
        query = select(DossierRow).order_by(DossierRow.id.desc()).limit(limit)
        if communes is not None:
            query = query.where(DossierRow.commune.in_(communes))
        return [_dossier(row) for row in await self._session.scalars(query)]

    async def for_ref(self, ref: ConversationRef) -> list[Dossier]:
        """The dossiers filed from one conversation, or for it by a volunteer, newest first;
        those of the apps the citizen linked to it are theirs too."""
        rows = await self._session.scalars(
            select(DossierRow).where(_citizens(ref)).order_by(DossierRow.id.desc())
        )
        return [_dossier(row) for row in rows]

    async def is_citizens(self, dossier_id: int, ref: ConversationRef) -> bool:
        """Whether the citizen on ``ref`` filed this dossier, or had it filed for them, on this
        app or one linked to it."""
        found = await self._session.scalar(
            select(DossierRow.id).where(DossierRow.id == dossier_id, _citizens(ref))
        )
        return found is not None

    async def by_codes(self, codes: Collection[str]) -> dict[str, Dossier]:
        """Code -> filed dossier, for those of ``codes`` kept here, with one statement."""
        if not codes:
            return {}
        rows = await self._session.execute(select(_DOSSIERS).where(_DOSSIERS.c.code.in_(codes)))
        return {row.code: _dossier(row) for row in rows if row.code is not None}

    async def announce_all(self, changes: Sequence[Change], now: datetime) -> set[int]:
        """Record status changes, one a dossier at most, with one statement; the ids of the
        dossiers whose change was new (not older than, nor the same as, the last recorded).

        The guarded UPDATE is the only place deciding that a change gets announced, so the
        webhook and the polling loop seeing the same change announce it once between them.
        Each dossier's own values are picked by ``CASE id``, so a burst of changes costs one
        statement instead of one each, and ``RETURNING`` tells which were new.
        """
        if not changes:
            return set()
        if len({change.dossier.id for change in changes}) != len(changes):
            raise ValueError("one change a dossier per statement")
        ids = [change.dossier.id for change in changes]
        statement, values = per_row_batch(
            _announce_all,
            ids,
            announced_at=[change.at for change in changes],
            status=[change.status for change in changes],
            due_date=[change.due_date for change in changes],
        )
        announced = await self._session.scalars(statement, {"now": now, **values})
        return set(announced)

    async def past_due(self, today: date, open_statuses: Collection[str]) -> list[Dossier]:
        """Filed dossiers still being processed whose due date is before ``today`` and whose
        citizen has not been told so yet."""
        rows = await self._session.scalars(
            select(DossierRow)
            .where(
                DossierRow.state == FILED,
                DossierRow.status.in_(open_statuses),
                DossierRow.due_date < today,
                DossierRow.overdue_told_at.is_(None),
            )
            .order_by(DossierRow.due_date, DossierRow.id)
        )
        return [_dossier(row) for row in rows]

    async def tell_overdue(self, dossier: Dossier, now: datetime) -> bool:
        """Mark the apology as queued; False when it was already (it is told once)."""
        result = await self._session.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier.id, DossierRow.overdue_told_at.is_(None))
            .values(overdue_told_at=now, updated_at=now)
        )
        return rowcount(result) == 1

    async def postpone_due(self, dossier: Dossier, due_date: date, now: datetime) -> None:
        """The portal moved the due date on (its clock paused while the citizen had to act)."""
        await self._session.execute(
            update(DossierRow)
            .where(DossierRow.id == dossier.id)
            .values(due_date=due_date, updated_at=now)
        )

    async def latest_announcement(self) -> datetime | None:
        """The most recent change announced, where polling resumes."""
        return await self._session.scalar(
            select(DossierRow.announced_at).order_by(DossierRow.announced_at.desc()).limit(1)
        )


def _citizens(ref: ConversationRef) -> ColumnElement[bool]:
    """Dossiers filed by the citizen on ``ref``, or for them, on any of their linked apps."""
    return or_(
        on_citizens_apps(DossierRow.channel, DossierRow.user_id, ref.channel, ref.user_id),
        on_citizens_apps(
            DossierRow.helped_channel, DossierRow.helped_user_id, ref.channel, ref.user_id
        ),
    )
