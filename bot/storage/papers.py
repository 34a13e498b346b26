"""The papers citizens sent for their dossiers, until the portal has them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.identity import SqlIdentities
from bot.storage.sql import rowcount
from bot.storage.tables import DossierRow, PaperRow
from dialogs.messages import ConversationRef


@dataclass(frozen=True, slots=True)
class OutgoingPaper:
    """A paper to attach to a filed dossier."""

    id: int
    code: str
    document_name: str
    name: str
    content_type: str
    data: bytes


class SqlPapers:
    """Kept papers, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def by_source(self, source: str) -> PaperRow | None:
        """The paper already kept from this (channel, message id), if any."""
        row: PaperRow | None = await self._session.scalar(
            select(PaperRow).where(PaperRow.source == source)
        )
        return row

    async def keep(
        self,
        ref: ConversationRef,
        source: str | None,
        name: str,
        content_type: str,
        data: bytes,
        now: datetime,
    ) -> int:
        """Keep a checked file for the citizen behind ``ref``; its id."""
        row = PaperRow(
            channel=ref.channel,
            user_id=ref.user_id,
            source=source,
            name=name[:255],
            content_type=content_type,
            size=len(data),
            data=data,
            created_at=now,
            updated_at=now,
        )
        self._session.add(row)
        await self._session.flush()
        return row.id

    async def assign(
        self,
        ref: ConversationRef,
        dossier_key: str,
        papers: Sequence[tuple[str, int]],
        now: datetime,
    ) -> int:
        """Send papers (name for the portal, id) with a dossier; only the citizen's own papers
        (any of their linked apps) are taken. How many were."""
        identities = SqlIdentities(self._session)
        person = await identities.person_of(ref)
        refs = [ref] if person is None else [ref, *await identities.refs_of(person)]
        owned = or_(
            *(and_(PaperRow.channel == r.channel, PaperRow.user_id == r.user_id) for r in refs)
        )
        taken = 0
        for document_name, paper in papers:
            result = await self._session.execute(
                update(PaperRow)
                .where(PaperRow.id == paper, owned)
                .values(dossier_key=dossier_key, document_name=document_name[:300], updated_at=now)
            )
            taken += rowcount(result)
        return taken

    async def claim_outgoing(
        self, now: datetime, lease: timedelta, limit: int
    ) -> list[OutgoingPaper]:
        """Papers of dossiers the portal has filed, not attached yet, oldest first; each is
        leased to the caller, so two workers never send the same one."""
        free = or_(PaperRow.sending_until.is_(None), PaperRow.sending_until < now)
        rows = await self._session.execute(
            select(PaperRow, DossierRow.code)
            .join(DossierRow, DossierRow.idempotency_key == PaperRow.dossier_key)
            .where(DossierRow.code.is_not(None), free)
            .order_by(PaperRow.id)
            .limit(limit)
        )
        claimed = []
        for row, code in rows:
            assert code is not None  # filed dossiers only
            taken = await self._session.execute(
                update(PaperRow)
                .where(PaperRow.id == row.id, free)
                .values(sending_until=now + lease)
            )
            if rowcount(taken):
                name = row.document_name or row.name
                claimed.append(
                    OutgoingPaper(row.id, code, name, row.name, row.content_type, row.data)
                )
        return claimed

    async def sent(self, paper: int) -> None:
        """The portal has it: the copy kept here is deleted."""
        await self._session.execute(delete(PaperRow).where(PaperRow.id == paper))
