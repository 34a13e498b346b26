"""Identity links: one citizen on several channels, joined by single-use, expiring codes."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select
from support.clock import ManualClock

from bot.storage.codes import FAILURE_WINDOW, MAX_FAILURES, MAX_WRONG_GUESSES
from bot.storage.database import Database
from bot.storage.identity import CODE_TTL, RedeemOutcome, Redemption, SqlIdentities
from bot.storage.tables import LinkCodeRow
from dialogs.messages import ConversationRef

TELEGRAM = ConversationRef("telegram", "111")
ZALO = ConversationRef("zalo", "222")
MESSENGER = ConversationRef("messenger", "333")


async def _issue(database: Database, clock: ManualClock) -> tuple[int, str]:
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.ensure_person(TELEGRAM, clock.now())
        assert await identities.ensure_person(TELEGRAM, clock.now()) == person
        return person, await identities.issue_code(person, clock.now())


async def _redeem(
    database: Database, clock: ManualClock, code: str, ref: ConversationRef
) -> Redemption:
    async with database.transaction() as session:
        return await SqlIdentities(session).redeem_code(code, ref, clock.now())


async def test_a_code_links_another_channel_to_the_same_person(
    database: Database, clock: ManualClock
) -> None:
    person, code = await _issue(database, clock)
    assert len(code) == 6 and code.isdigit()
    assert await _redeem(database, clock, code, ZALO) == Redemption(RedeemOutcome.LINKED, person)
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        assert await identities.person_of(ZALO) == person
        assert set(await identities.refs_of(person)) == {TELEGRAM, ZALO}


async def test_a_code_works_once(database: Database, clock: ManualClock) -> None:
    _, code = await _issue(database, clock)
    assert (await _redeem(database, clock, code, ZALO)).outcome is RedeemOutcome.LINKED
    assert (await _redeem(database, clock, code, MESSENGER)).outcome is RedeemOutcome.INVALID
    async with database.transaction() as session:
        assert await SqlIdentities(session).person_of(MESSENGER) is None


async def test_an_expired_code_is_refused(database: Database, clock: ManualClock) -> None:
    _, code = await _issue(database, clock)
    clock.advance(CODE_TTL)
    assert (await _redeem(database, clock, code, ZALO)).outcome is RedeemOutcome.INVALID


async def test_a_stolen_table_does_not_give_the_codes_away(
    database: Database, clock: ManualClock
) -> None:
    _, code = await _issue(database, clock)
    async with database.transaction() as session:
        stored = (await session.scalars(select(LinkCodeRow.code_hash))).one()
    # Hashing each of the million codes until one matches does not find it without the key.
    assert stored != hashlib.sha256(code.encode()).hexdigest()
    assert code not in stored


async def test_wrong_codes_lock_the_guesser_out_for_a_while(
    database: Database, clock: ManualClock
) -> None:
    _, code = await _issue(database, clock)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(MAX_FAILURES):
        assert (await _redeem(database, clock, wrong, ZALO)).outcome is RedeemOutcome.INVALID
    # Even the right code is refused while locked out, so guessing cannot continue.
    assert (await _redeem(database, clock, code, ZALO)).outcome is RedeemOutcome.LOCKED
    # Someone else is not locked out, and a code made after the guessing works for them.
    fresh = await _fresh_code(database, clock)
    assert (await _redeem(database, clock, fresh, MESSENGER)).outcome is RedeemOutcome.LINKED

    clock.advance(FAILURE_WINDOW)
    fresh = await _fresh_code(database, clock)
    assert (await _redeem(database, clock, fresh, ZALO)).outcome is RedeemOutcome.LINKED


async def _fresh_code(database: Database, clock: ManualClock) -> str:
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.person_of(TELEGRAM)
        assert person is not None
        return await identities.issue_code(person, clock.now())


async def test_guessers_rotating_identities_get_five_guesses_at_a_live_code(
    database: Database, clock: ManualClock
) -> None:
    """A new identity per guess (as web-chat cookies allow) does not buy more guesses."""
    _, code = await _issue(database, clock)
    wrong = [f"{(int(code) + n) % 1_000_000:06d}" for n in range(1, MAX_WRONG_GUESSES + 1)]
    for n, guess in enumerate(wrong):
        guesser = ConversationRef("web", f"rotating-{n}")
        assert (await _redeem(database, clock, guess, guesser)).outcome is RedeemOutcome.INVALID
    # The sixth guess is the right code, from yet another identity: the code is dead by now.
    sixth = ConversationRef("web", "rotating-right")
    assert (await _redeem(database, clock, code, sixth)).outcome is RedeemOutcome.INVALID
    async with database.transaction() as session:
        assert await SqlIdentities(session).person_of(sixth) is None
    # A right code does not count as wrong, and a code made now has its five guesses again.
    fresh = await _fresh_code(database, clock)
    for n, guess in enumerate([g for g in wrong if g != fresh][: MAX_WRONG_GUESSES - 1]):
        ref = ConversationRef("web", f"again-{n}")
        assert (await _redeem(database, clock, guess, ref)).outcome is RedeemOutcome.INVALID
    assert (await _redeem(database, clock, fresh, sixth)).outcome is RedeemOutcome.LINKED
    later = await _fresh_code(database, clock)
    assert (await _redeem(database, clock, later, MESSENGER)).outcome is RedeemOutcome.LINKED


async def test_a_failed_attempt_is_counted_even_though_nothing_else_changes(
    database: Database, clock: ManualClock
) -> None:
    await _issue(database, clock)
    for _ in range(MAX_FAILURES - 1):
        await _redeem(database, clock, "not-a-code", ZALO)
    clock.advance(timedelta(minutes=1))
    await _redeem(database, clock, "still-wrong", ZALO)
    assert (await _redeem(database, clock, "000000", ZALO)).outcome is RedeemOutcome.LOCKED
