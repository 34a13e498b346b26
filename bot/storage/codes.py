"""The guard every one-time code shares: keyed hashes, one wrong-guess budget, lockouts.

A code is shown on one app and typed on another (a link code, a relative's consent code). It
is stored only as an HMAC under the server key (a bare hash of six digits is reversed by trying
all of them), and a (channel, user id) that keeps typing wrong codes is locked out for a while.

Six digits are few, and identities are free to make (a new web-chat cookie, a new address), so
no per-guesser limit bounds what a crowd of guessers gets. Every wrong code typed anywhere
therefore counts against every live code of every kind, and a code dies after
:data:`MAX_WRONG_GUESSES` of them: however many identities guess, a live code meets at most
that many wrong guesses, and a takeover's chance is at most one in 200,000 per code. The price
is that someone else's typo can kill a citizen's code; they are told to get a new one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.secrets import server_key
from bot.storage.sql import dialect_insert
from bot.storage.tables import LinkAttemptRow, LinkGuessesRow
from dialogs.messages import ConversationRef
from dialogs.step import LINK_CODE_DIGITS

CODE_DIGITS = LINK_CODE_DIGITS
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(hours=1)
MAX_WRONG_GUESSES = 5
"""Wrong codes typed anywhere, by anyone, after which every code made before them is dead."""

_GUESSES_ROW = 1


def hash_code(key: bytes, code: str, purpose: str = "link-code") -> str:
    """The stored form of a code: an HMAC-SHA256 under the server key, per kind of code."""
    return hmac.new(key, f"{purpose}:".encode() + code.strip().encode(), hashlib.sha256).hexdigest()


def random_code() -> str:
    """A fresh code of :data:`CODE_DIGITS` digits from the system's secure generator."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


@dataclass(slots=True)
class Guess:
    """One typed code being checked: the server key, and the wrong codes typed before it."""

    key: bytes
    wrong: int
    attempts: LinkAttemptRow | None


class CodeGuard:
    """The shared guess budget and the per-app lockout, within the caller's session."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def key(self, now: datetime) -> bytes:
        """The server key codes are hashed under."""
        return await server_key(self._session, now)

    async def wrong_so_far(self) -> int:
        """Wrong codes typed so far, anywhere: a new code keeps it as its ``wrong_before``."""
        wrong = await self._session.scalar(
            select(LinkGuessesRow.wrong).where(LinkGuessesRow.id == _GUESSES_ROW)
        )
        return wrong or 0

    @staticmethod
    def alive(wrong_before: InstrumentedAttribute[int], wrong: int) -> ColumnElement[bool]:
        """The condition that a code has not met too many wrong guesses since it was made."""
        return wrong_before > wrong - MAX_WRONG_GUESSES

    async def begin(self, ref: ConversationRef, now: datetime) -> Guess | None:
        """Start checking a code typed by ``ref``; None when ``ref`` is locked out.

        The code is counted as wrong before it is checked: the update holds the counter's row
        until the turn commits, so guesses are checked one at a time and none sees a stale count.
        """
        attempts = await self._session.get(
            LinkAttemptRow, (ref.channel, ref.user_id), with_for_update=True
        )
        if attempts is not None and attempts.window_started_at + FAILURE_WINDOW <= now:
            attempts.failures, attempts.window_started_at = 0, now
        if attempts is not None and attempts.failures >= MAX_FAILURES:
            return None
        insert = dialect_insert(self._session, LinkGuessesRow).values(id=_GUESSES_ROW, wrong=1)
        counted = await self._session.scalar(
            insert.on_conflict_do_update(
                index_elements=["id"], set_={"wrong": LinkGuessesRow.wrong + 1}
            ).returning(LinkGuessesRow.wrong)
        )
        return Guess(await self.key(now), int(counted) - 1, attempts)

    async def missed(self, guess: Guess, ref: ConversationRef, now: datetime) -> None:
        """The code was wrong: one more failure for ``ref`` in its window."""
        if guess.attempts is None:
            self._session.add(
                LinkAttemptRow(
                    channel=ref.channel, user_id=ref.user_id, failures=1, window_started_at=now
                )
            )
        else:
            guess.attempts.failures += 1
        await self._session.flush()

    async def matched(self, guess: Guess) -> None:
        """The code was right: it does not count as a wrong guess, and ``ref`` starts afresh."""
        await self._session.execute(
            update(LinkGuessesRow)
            .where(LinkGuessesRow.id == _GUESSES_ROW)
            .values(wrong=LinkGuessesRow.wrong - 1)
        )
        if guess.attempts is not None:
            await self._session.delete(guess.attempts)
