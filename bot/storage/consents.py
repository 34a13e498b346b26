"""Consent codes: a person agrees, on their own chat, that a volunteer files a dossier for them.

The volunteer's filing asks for a code (``bot.consents``); the person types it on any app of
theirs, is shown who asks to file what for them, and answers. Codes are guarded like every
one-time code (``bot.storage.codes``); a refusal deletes the request, so nothing is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.codes import CodeGuard, hash_code, random_code
from bot.storage.sql import rowcount
from bot.storage.tables import ConsentRequestRow
from dialogs.messages import ConversationRef

CONSENT_TTL = timedelta(minutes=30)
_PURPOSE = "consent-code"


class CodeOutcome(StrEnum):
    """What happened to a typed consent code."""

    FOUND = "found"
    INVALID = "invalid"  # unknown or already used: not told apart
    EXPIRED = "expired"  # the right code, too late: the volunteer must ask for a new one
    OWN = "own"  # the volunteer typed it on their own chat: it is for the person to type
    LOCKED = "locked"  # too many wrong codes from this (channel, user id) lately


@dataclass(frozen=True, slots=True)
class ConsentRequest:
    """A request as the person and the volunteer are told of it."""

    id: int
    volunteer: ConversationRef
    filing_key: str
    procedure: str
    full_name: str
    relationship: str
    person: ConversationRef | None
    agreed_at: datetime | None


def _request(row: ConsentRequestRow) -> ConsentRequest:
    person = None
    if row.person_channel is not None and row.person_user_id is not None:
        person = ConversationRef(row.person_channel, row.person_user_id)
    return ConsentRequest(
        id=row.id,
        volunteer=ConversationRef(row.volunteer_channel, row.volunteer_user_id),
        filing_key=row.filing_key,
        procedure=row.procedure_code,
        full_name=row.full_name,
        relationship=row.relationship,
        person=person,
        agreed_at=row.agreed_at,
    )


class SqlConsents:
    """Consent requests, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def issue(
        self,
        volunteer: ConversationRef,
        filing_key: str,
        procedure: str,
        full_name: str,
        relationship: str,
        now: datetime,
    ) -> str:
        """A fresh code for the person to type; the plain code is returned once, never kept.

        Asking again for the same filing replaces the earlier code.
        """
        await self._session.execute(
            delete(ConsentRequestRow).where(
                ConsentRequestRow.filing_key == filing_key,
                ConsentRequestRow.volunteer_channel == volunteer.channel,
                ConsentRequestRow.volunteer_user_id == volunteer.user_id,
            )
        )
        guard = CodeGuard(self._session)
        key, wrong = await guard.key(now), await guard.wrong_so_far()
        while True:
            code = random_code()
            if await self._unused(hash_code(key, code, _PURPOSE), wrong) is None:
                break
        self._session.add(
            ConsentRequestRow(
                code_hash=hash_code(key, code, _PURPOSE),
                wrong_before=wrong,
                volunteer_channel=volunteer.channel,
                volunteer_user_id=volunteer.user_id,
                filing_key=filing_key,
                procedure_code=procedure,
                full_name=full_name,
                relationship=relationship,
                expires_at=now + CONSENT_TTL,
                created_at=now,
            )
        )
        await self._session.flush()
        return code

    async def redeem(
        self, code: str, ref: ConversationRef, now: datetime
    ) -> tuple[CodeOutcome, ConsentRequest | None]:
        """The request whose code ``ref`` typed, now bound to ``ref``, which alone may answer."""
        guard = CodeGuard(self._session)
        guess = await guard.begin(ref, now)
        if guess is None:
            return CodeOutcome.LOCKED, None
        row = await self._unused(hash_code(guess.key, code, _PURPOSE), guess.wrong)
        if row is not None and row.expires_at <= now:
            await guard.matched(guess)
            return CodeOutcome.EXPIRED, None
        if row is not None and (row.volunteer_channel, row.volunteer_user_id) == (
            ref.channel,
            ref.user_id,
        ):
            await guard.matched(guess)
            return CodeOutcome.OWN, None
        taken = row is not None and rowcount(
            await self._session.execute(
                update(ConsentRequestRow)
                .where(ConsentRequestRow.id == row.id, ConsentRequestRow.shown_at.is_(None))
                .values(shown_at=now, person_channel=ref.channel, person_user_id=ref.user_id)
            )
        )
        if row is None or taken != 1:
            await guard.missed(guess, ref, now)
            return CodeOutcome.INVALID, None
        await guard.matched(guess)
        await self._session.refresh(row)
        return CodeOutcome.FOUND, _request(row)

    async def answer(
        self, request_id: int, ref: ConversationRef, agreed: bool, now: datetime
    ) -> ConsentRequest | None:
        """The person's answer; None when the request is not theirs to answer (or is gone).

        A refusal deletes the request: nothing about it is kept.
        """
        row = await self._session.scalar(
            select(ConsentRequestRow).where(
                ConsentRequestRow.id == request_id,
                ConsentRequestRow.person_channel == ref.channel,
                ConsentRequestRow.person_user_id == ref.user_id,
                ConsentRequestRow.agreed_at.is_(None),
            )
        )
        if row is None:
            return None
        if agreed:
            row.agreed_at = now
            await self._session.flush()
            return _request(row)
        found = _request(row)
        await self._session.delete(row)
        return found

    async def agreed(self, volunteer: ConversationRef, filing_key: str) -> ConsentRequest | None:
        """The agreement given for a volunteer's filing, if the person gave it."""
        row = await self._session.scalar(
            select(ConsentRequestRow).where(
                ConsentRequestRow.filing_key == filing_key,
                ConsentRequestRow.volunteer_channel == volunteer.channel,
                ConsentRequestRow.volunteer_user_id == volunteer.user_id,
                ConsentRequestRow.agreed_at.is_not(None),
            )
        )
        return None if row is None else _request(row)

    async def _unused(self, code_hash: str, wrong: int) -> ConsentRequestRow | None:
        """The request with this code, not yet typed, that has not met too many wrong guesses."""
        return await self._session.scalar(
            select(ConsentRequestRow).where(
                ConsentRequestRow.code_hash == code_hash,
                ConsentRequestRow.shown_at.is_(None),
                CodeGuard.alive(ConsentRequestRow.wrong_before, wrong),
            )
        )
