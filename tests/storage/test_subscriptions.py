"""A citizen's chosen commune: one per citizen, shared by linked apps, found by any of them."""

from __future__ import annotations

import pytest
from support.clock import ManualClock

from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.identity import SqlIdentities
from bot.storage.subscriptions import SqlSubscriptions, commune_of
from dialogs.messages import ConversationRef

TELEGRAM = ConversationRef("telegram", "111")
ZALO = ConversationRef("zalo", "222")
STRANGER = ConversationRef("messenger", "333")

BA_DINH = 4  # Phường Ba Đình, Hà Nội
HOAI_DUC = 9832  # Xã Hoài Đức, Hà Nội


async def _link(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.ensure_person(TELEGRAM, clock.now())
        code = await identities.issue_code(person, clock.now())
        await identities.redeem_code(code, ZALO, clock.now())


async def test_a_chosen_commune_is_the_conversations_commune_until_it_ends(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        chosen = await SqlSubscriptions(session).choose(TELEGRAM, BA_DINH, clock.now())
    assert chosen.label == "Phường Ba Đình, Hà Nội"
    async with database.transaction() as session:
        assert await commune_of(session, TELEGRAM) == chosen
        assert await commune_of(session, STRANGER) is None
        assert await SqlSubscriptions(session).end(TELEGRAM)
    async with database.transaction() as session:
        assert await commune_of(session, TELEGRAM) is None
        assert not await SqlSubscriptions(session).end(TELEGRAM)


async def test_linked_apps_share_one_subscription(database: Database, clock: ManualClock) -> None:
    await _link(database, clock)
    async with database.transaction() as session:
        await SqlSubscriptions(session).choose(TELEGRAM, BA_DINH, clock.now())
    async with database.transaction() as session:
        found = await commune_of(session, ZALO)
        assert found is not None and found.code == BA_DINH
        await SqlSubscriptions(session).choose(ZALO, HOAI_DUC, clock.now())  # replaces it
    async with database.transaction() as session:
        for ref in (TELEGRAM, ZALO):
            found = await commune_of(session, ref)
            assert found is not None and found.name == "Xã Hoài Đức"
        assert await SqlSubscriptions(session).end(TELEGRAM)  # ends it for both apps
    async with database.transaction() as session:
        assert await commune_of(session, ZALO) is None


async def test_a_code_that_is_no_commune_is_refused(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        with pytest.raises(ValueError, match="no commune"):
            await SqlSubscriptions(session).choose(TELEGRAM, 99999, clock.now())
        assert await commune_of(session, TELEGRAM) is None


async def test_the_communes_of_many_citizens_read_together_are_each_ones_own(
    database: Database, clock: ManualClock
) -> None:
    """A burst of notices opens its conversations together (``open_all``), each with its
    citizen's commune: the same answer as the single read, linked apps included."""
    await _link(database, clock)
    others = [ConversationRef("web", f"hang-xom-{n}") for n in range(30)]
    async with database.transaction() as session:
        subscriptions = SqlSubscriptions(session)
        await subscriptions.choose(ZALO, HOAI_DUC, clock.now())
        for ref in others[::3]:
            await subscriptions.choose(ref, BA_DINH, clock.now())
        clock.advance(minutes=1)
        await subscriptions.choose(others[3], HOAI_DUC, clock.now())  # the latest choice wins
    refs = [TELEGRAM, STRANGER, *others, ZALO]
    async with database.transaction() as session:
        opened = await SqlConversations(session).open_all(
            [(ref, None) for ref in refs], clock.now()
        )
        together = {key: stored.commune for key, stored in opened.items()}
        alone = {ref.key: await commune_of(session, ref) for ref in refs}
    assert together == alone
    assert [(found := together[ref.key]) and found.code for ref in refs[:6]] == [
        HOAI_DUC,
        None,
        BA_DINH,
        None,
        None,
        HOAI_DUC,
    ]
