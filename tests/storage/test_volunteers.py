"""Requests to join the digital-technology group, on SQLite and PostgreSQL: the standing a
citizen has on any of their linked apps, the order coordinators see, and decisions applied
once, from the status they apply to only."""

from __future__ import annotations

from support.clock import ManualClock

from bot import volunteers
from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.identity import SqlIdentities
from bot.storage.volunteers import SqlVolunteers
from dialogs.messages import ConversationRef
from dialogs.step import Membership

TELEGRAM = ConversationRef("telegram", "111")
ZALO = ConversationRef("zalo", "222")
WEB = ConversationRef("web", "333")
BY = "dieu.phoi@xa.vn"


async def test_a_member_approved_on_one_app_is_one_on_every_linked_app(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.ensure_person(TELEGRAM, clock.now())
        await identities.redeem_code(
            await identities.issue_code(person, clock.now()), ZALO, clock.now()
        )
        asked = await SqlVolunteers(session).ask(
            TELEGRAM, "Trần Văn Bình", 4, "+84912345678", clock.now()
        )
        assert await volunteers.membership(session, ZALO) is Membership.PENDING
        await SqlVolunteers(session).decide(asked.id, "approve", BY, clock.now())
        assert await volunteers.membership(session, ZALO) is Membership.APPROVED
        assert await volunteers.membership(session, WEB) is None


async def test_waiting_requests_come_first_and_a_decision_applies_once(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        store = SqlVolunteers(session)
        waiting = await store.ask(TELEGRAM, "Trần Văn Bình", 4, "+84912345678", clock.now())
        clock.advance(minutes=1)
        member = await store.ask(WEB, "Nguyễn Thị Hoà", 4, "+84987654321", clock.now())
        clock.advance(minutes=1)
        assert await store.decide(member.id, "approve", BY, clock.now()) is not None
        assert await store.decide(member.id, "approve", BY, clock.now()) is None
        assert await store.decide(waiting.id, "revoke", BY, clock.now()) is None
        assert [v.full_name for v in await store.listed(10)] == ["Trần Văn Bình", "Nguyễn Thị Hoà"]
        revoked = await store.decide(member.id, "revoke", BY, clock.now())
        assert revoked is not None and revoked.status is Membership.REVOKED
        # Asking again after a revocation puts the same request back in the queue.
        again = await store.ask(WEB, "Nguyễn Thị Hoà", 4, "+84987654321", clock.now())
        assert again.id == member.id and again.status is Membership.PENDING
        assert again.decided_by is None


async def test_the_standings_of_many_citizens_read_together_are_each_ones_own(
    database: Database, clock: ManualClock
) -> None:
    others = [ConversationRef("web", f"hang-xom-{n}") for n in range(30)]
    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.ensure_person(TELEGRAM, clock.now())
        await identities.redeem_code(
            await identities.issue_code(person, clock.now()), ZALO, clock.now()
        )
        store = SqlVolunteers(session)
        approved = await store.ask(TELEGRAM, "Trần Văn Bình", 4, "+84912345678", clock.now())
        await store.decide(approved.id, "approve", BY, clock.now())
        for ref in others[::3]:
            await store.ask(ref, "Lê Thị Cúc", 4, "+84912345679", clock.now())
    refs = [ZALO, WEB, TELEGRAM, *others, ZALO]
    async with database.transaction() as session:
        # A burst of notices opens its conversations together, each with its standing.
        opened = await SqlConversations(session).open_all(
            [(ref, None) for ref in refs], clock.now()
        )
        together = {key: stored.membership for key, stored in opened.items()}
        alone = {ref.key: await volunteers.membership(session, ref) for ref in refs}
    assert together == alone
    assert together[ZALO.key] is Membership.APPROVED and together[WEB.key] is None
    assert [together[ref.key] for ref in others[:3]] == [Membership.PENDING, None, None]
