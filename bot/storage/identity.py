"""One citizen on several channels: persons, their (channel, user id) links and one-time codes.

The linking conversation is ``dialogs.flows.link``; ``bot.dispatcher`` carries out its requests
with this storage. A code is shown on one channel and typed on another; it works once, expires,
and is guarded like every one-time code (``bot.storage.codes``: keyed hashes, one wrong-guess
budget shared by all codes, and a lockout of the (channel, user id) that keeps guessing).

What a linked citizen's apps share is keyed on the person (see ``PersonConversationRow``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    and_,
    bindparam,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from bot.storage.codes import CodeGuard, hash_code, random_code
from bot.storage.sql import dialect_insert, rowcount
from bot.storage.tables import IdentityLinkRow, LinkCodeRow, PersonRow
from dialogs.messages import ConversationRef

CODE_TTL = timedelta(minutes=10)


class RedeemOutcome(StrEnum):
    """What happened to a typed link code."""

    LINKED = "linked"
    INVALID = "invalid"  # unknown, expired or already used: deliberately not told apart
    LOCKED = "locked"  # too many wrong codes from this (channel, user id) lately


@dataclass(frozen=True, slots=True)
class Redemption:
    """The outcome, and the person now linked when it worked."""

    outcome: RedeemOutcome
    person_id: int | None = None


_PERSON_OF = select(IdentityLinkRow.person_id).where(
    IdentityLinkRow.channel == bindparam("channel"), IdentityLinkRow.user_id == bindparam("user_id")
)
"""``person_of``'s statement, built once: every turn starts with it."""


class SqlIdentities:
    """Persons, links and link codes, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def person_of(self, ref: ConversationRef) -> int | None:
        """The person a (channel, user id) belongs to, if linked."""
        return await self._session.scalar(
            _PERSON_OF, {"channel": ref.channel, "user_id": ref.user_id}
        )

    async def ensure_person(self, ref: ConversationRef, now: datetime) -> int:
        """The person behind ``ref``, created (and linked) on first use."""
        person_id = await self.person_of(ref)
        if person_id is None:
            person = PersonRow(created_at=now)
            self._session.add(person)
            await self._session.flush()
            person_id = person.id
            await self._link(ref, person_id, now)
        return person_id

    async def refs_of(self, person_id: int) -> list[ConversationRef]:
        """Every (channel, user id) a person is reachable on."""
        rows = await self._session.execute(
            select(IdentityLinkRow.channel, IdentityLinkRow.user_id)
            .where(IdentityLinkRow.person_id == person_id)
            .order_by(IdentityLinkRow.linked_at, IdentityLinkRow.channel)
        )
        return [ConversationRef(channel, user_id) for channel, user_id in rows]

    async def issue_code(self, person_id: int, now: datetime, ttl: timedelta = CODE_TTL) -> str:
        """A fresh code for this person; the plain code is returned once and never stored."""
        guard = CodeGuard(self._session)
        key, wrong = await guard.key(now), await guard.wrong_so_far()
        while True:
            code = random_code()
            if await self._live_code(hash_code(key, code), now, wrong) is None:
                break
        self._session.add(
            LinkCodeRow(
                code_hash=hash_code(key, code),
                person_id=person_id,
                expires_at=now + ttl,
                created_at=now,
                wrong_before=wrong,
            )
        )
        await self._session.flush()
        return code

    async def redeem_code(self, code: str, ref: ConversationRef, now: datetime) -> Redemption:
        """Link ``ref`` to the person who asked for ``code``, if the code is live and unused."""
        guard = CodeGuard(self._session)
        guess = await guard.begin(ref, now)
        if guess is None:
            return Redemption(RedeemOutcome.LOCKED)
        row = await self._live_code(hash_code(guess.key, code), now, guess.wrong)
        used = (
            row is not None
            and rowcount(
                await self._session.execute(
                    update(LinkCodeRow)
                    .where(LinkCodeRow.id == row.id, LinkCodeRow.used_at.is_(None))
                    .values(used_at=now)
                )
            )
            == 1
        )
        if row is None or not used:
            await guard.missed(guess, ref, now)
            return Redemption(RedeemOutcome.INVALID)
        await guard.matched(guess)
        await self._link(ref, row.person_id, now)
        return Redemption(RedeemOutcome.LINKED, row.person_id)

    async def holds_code(self, code: str, now: datetime) -> bool:
        """Whether ``code`` is a link code that would link now. Looking is no guess: redeeming
        it afterwards is counted as every typed code is."""
        guard = CodeGuard(self._session)
        code_hash = hash_code(await guard.key(now), code)
        return await self._live_code(code_hash, now, await guard.wrong_so_far()) is not None

    async def _live_code(self, code_hash: str, now: datetime, wrong: int) -> LinkCodeRow | None:
        """The unused, unexpired code with this hash that has not met too many wrong guesses."""
        return await self._session.scalar(
            select(LinkCodeRow).where(
                LinkCodeRow.code_hash == code_hash,
                LinkCodeRow.used_at.is_(None),
                LinkCodeRow.expires_at > now,
                CodeGuard.alive(LinkCodeRow.wrong_before, wrong),
            )
        )

    async def _link(self, ref: ConversationRef, person_id: int, now: datetime) -> None:
        # Re-linking moves the (channel, user id) to the new person.
        insert = dialect_insert(self._session, IdentityLinkRow)
        await self._session.execute(
            insert.values(
                channel=ref.channel, user_id=ref.user_id, person_id=person_id, linked_at=now
            ).on_conflict_do_update(
                index_elements=["channel", "user_id"],
                set_={"person_id": person_id, "linked_at": now},
            )
        )


def person_of_app(
    channel: str | ColumnElement[str], user_id: str | ColumnElement[str]
) -> ScalarSelect[int]:
    """The person the app (``channel``, ``user_id``) is linked to, as a subquery (NULL when
    it is not linked): read in the statement that needs it, not in one of its own."""
    return (
        select(IdentityLinkRow.person_id)
        .where(IdentityLinkRow.channel == channel, IdentityLinkRow.user_id == user_id)
        .scalar_subquery()
    )


def on_citizens_apps(
    row_channel: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    row_user_id: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    channel: str | ColumnElement[str],
    user_id: str | ColumnElement[str],
) -> ColumnElement[bool]:
    """Whether a row kept for the app (``row_channel``, ``row_user_id``) is the citizen's on
    (``channel``, ``user_id``): that very app, or one linked to the same person."""
    link = aliased(IdentityLinkRow)
    linked_app = exists().where(
        link.person_id == person_of_app(channel, user_id),
        link.channel == row_channel,
        link.user_id == row_user_id,
    )
    return or_(and_(row_channel == channel, row_user_id == user_id), linked_app)
