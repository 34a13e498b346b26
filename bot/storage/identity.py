"""One citizen on several channels: persons, their (channel, user id) links and one-time codes.

The linking conversation is ``dialogs.flows.link``; ``bot.dispatcher`` carries out its requests
with this storage. A code is shown on one channel and typed on another; it is stored only as an
HMAC under the server key (a bare hash of six digits is reversed by trying all of them), works
once, expires, and a (channel, user id) that keeps typing wrong codes is locked out for a while.

Six digits are few, and identities are free to make (a new web-chat cookie, a new address), so
no per-guesser limit bounds what a crowd of guessers gets. Every wrong code typed anywhere
therefore counts against every live code, and a code dies after :data:`MAX_WRONG_GUESSES` of
them: however many identities guess, a live code meets at most that many wrong guesses, and a
takeover's chance is at most one in 200,000 per code. The price is that someone else's typo can
kill a citizen's code; they are told to get a new one, which takes a tap.

What a linked citizen's apps share is keyed on the person (see ``PersonConversationRow``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.secrets import server_key
from bot.storage.sql import dialect_insert, rowcount
from bot.storage.tables import (
    IdentityLinkRow,
    LinkAttemptRow,
    LinkCodeRow,
    LinkGuessesRow,
    PersonRow,
)
from dialogs.messages import ConversationRef
from dialogs.step import LINK_CODE_DIGITS

CODE_DIGITS = LINK_CODE_DIGITS
CODE_TTL = timedelta(minutes=10)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
MAX_WRONG_GUESSES = 5
"""Wrong codes typed anywhere, by anyone, after which every code made before them is dead."""

_GUESSES_ROW = 1


def hash_code(key: bytes, code: str) -> str:
    """The stored form of a link code: an HMAC-SHA256 under the server key."""
    return hmac.new(key, b"link-code:" + code.strip().encode(), hashlib.sha256).hexdigest()


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


class SqlIdentities:
    """Persons, links and link codes, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def person_of(self, ref: ConversationRef) -> int | None:
        """The person a (channel, user id) belongs to, if linked."""
        return await self._session.scalar(
            select(IdentityLinkRow.person_id).where(
                IdentityLinkRow.channel == ref.channel, IdentityLinkRow.user_id == ref.user_id
            )
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
        key = await server_key(self._session, now)
        wrong = await self._wrong_guesses()
        while True:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
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
        attempts = await self._session.get(
            LinkAttemptRow, (ref.channel, ref.user_id), with_for_update=True
        )
        if attempts is not None and attempts.window_started_at + FAILURE_WINDOW <= now:
            attempts.failures, attempts.window_started_at = 0, now
        if attempts is not None and attempts.failures >= MAX_FAILURES:
            return Redemption(RedeemOutcome.LOCKED)

        # Counted as wrong before it is checked: the update holds the counter's row until the
        # turn commits, so guesses are checked one at a time and none sees a stale count.
        wrong = await self._count_wrong_guess() - 1
        key = await server_key(self._session, now)
        row = await self._live_code(hash_code(key, code), now, wrong)
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
            if attempts is None:
                self._session.add(
                    LinkAttemptRow(
                        channel=ref.channel, user_id=ref.user_id, failures=1, window_started_at=now
                    )
                )
            else:
                attempts.failures += 1
            await self._session.flush()
            return Redemption(RedeemOutcome.INVALID)

        await self._session.execute(
            update(LinkGuessesRow)
            .where(LinkGuessesRow.id == _GUESSES_ROW)
            .values(wrong=LinkGuessesRow.wrong - 1)
        )
        if attempts is not None:
            await self._session.delete(attempts)
        await self._link(ref, row.person_id, now)
        return Redemption(RedeemOutcome.LINKED, row.person_id)

    async def _wrong_guesses(self) -> int:
        """Wrong codes typed so far, anywhere."""
        wrong = await self._session.scalar(
            select(LinkGuessesRow.wrong).where(LinkGuessesRow.id == _GUESSES_ROW)
        )
        return wrong or 0

    async def _count_wrong_guess(self) -> int:
        """Add one to the wrong codes typed anywhere; the new count."""
        insert = dialect_insert(self._session, LinkGuessesRow).values(id=_GUESSES_ROW, wrong=1)
        return int(
            await self._session.scalar(
                insert.on_conflict_do_update(
                    index_elements=["id"], set_={"wrong": LinkGuessesRow.wrong + 1}
                ).returning(LinkGuessesRow.wrong)
            )
        )

    async def _live_code(self, code_hash: str, now: datetime, wrong: int) -> LinkCodeRow | None:
        """The unused, unexpired code with this hash that has not met too many wrong guesses."""
        return await self._session.scalar(
            select(LinkCodeRow).where(
                LinkCodeRow.code_hash == code_hash,
                LinkCodeRow.used_at.is_(None),
                LinkCodeRow.expires_at > now,
                LinkCodeRow.wrong_before > wrong - MAX_WRONG_GUESSES,
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
