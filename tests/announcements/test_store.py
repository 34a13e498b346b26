"""The announcement store: kept, fanned out once to the subscribers of its communes, claimed by
one worker at a time, counted per channel, cancelled only before it starts."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import insert, select, update
from storage.test_dispatcher import echo, make_deps
from support.clock import ManualClock
from support.interleave import first_after_the_read
from support.statements import work

from bot.announcements.compose import Author, Draft, compose
from bot.announcements.holding import Holding
from bot.announcements.store import (
    Cancel,
    Claimed,
    Delivery,
    SqlAnnouncements,
    SqlDeliveries,
    State,
)
from bot.dispatcher import Dispatcher
from bot.storage.database import Database
from bot.storage.platform_state import SqlUnreachableUsers
from bot.storage.subscriptions import SqlSubscriptions
from bot.storage.tables import AnnouncementDeliveryRow, SubscriptionRow
from dialogs.messages import ConversationRef, IncomingMessage

BA_DINH = 4  # Phường Ba Đình, Hà Nội
HOAI_DUC = 9832  # Xã Hoài Đức, Hà Nội
LEASE = timedelta(minutes=1)
CLI = Author.command_line()
CHANNELS = ("telegram", "zalo", "messenger", "web")


def _english(message: str) -> str:
    return message


async def _announce(database: Database, clock: ManualClock, **draft: object) -> int:
    fields: dict[str, object] = {"text_vi": "Lịch tiêm chủng", "communes": ["00004"]} | draft
    composed = compose(Draft(**fields), CLI, clock.now(), _english)  # type: ignore[arg-type]
    async with database.transaction() as session:
        return (
            await SqlAnnouncements(session).create(composed, Author.command_line(), clock.now())
        ).id


async def _fanned_out(
    database: Database, clock: ManualClock, refs: list[ConversationRef]
) -> tuple[int, int | None]:
    """An announcement to Ba Đình, chosen by ``refs``, fanned out: its id and its deliveries."""
    async with database.transaction() as session:
        for ref in refs:
            await SqlSubscriptions(session).choose(ref, BA_DINH, clock.now())
    announcement = await _announce(database, clock)
    async with database.transaction() as session:
        return announcement, await SqlDeliveries(session).fan_out(
            announcement, clock.now(), CHANNELS
        )


async def test_fan_out_once_to_each_subscriber_then_claim_settle_and_count(
    database: Database, clock: ManualClock
) -> None:
    refs = [ConversationRef(channel, f"{channel}-1") for channel in CHANNELS]
    elsewhere = ConversationRef("telegram", "far-away")
    async with database.transaction() as session:
        for ref in refs:
            await SqlSubscriptions(session).choose(ref, BA_DINH, clock.now())
        await SqlSubscriptions(session).choose(elsewhere, HOAI_DUC, clock.now())
    await SqlUnreachableUsers(database, "zalo", clock.now).add("zalo-1")
    announcement = await _announce(database, clock, send_at=clock.now() + timedelta(hours=1))

    async with database.transaction() as session:
        assert await SqlDeliveries(session).due(clock.now()) == []
    clock.advance(hours=1)
    async with database.transaction() as session:
        deliveries = SqlDeliveries(session)
        assert await deliveries.due(clock.now()) == [announcement]
        assert await deliveries.fan_out(announcement, clock.now(), CHANNELS) == 4
        assert (
            await deliveries.fan_out(announcement, clock.now(), CHANNELS) is None
        )  # not scheduled now
    async with database.transaction() as session:
        progress = await SqlAnnouncements(session).progress(announcement)
    assert progress.total() == 4
    assert progress.by_channel["zalo"][Delivery.BLOCKED] == 1  # blocked earlier: never sent
    assert progress.total(Delivery.QUEUED) == 3

    async with database.transaction() as session:
        first = await SqlDeliveries(session).claim(clock.now(), LEASE, 2, "a", CHANNELS)
    async with database.transaction() as session:
        second = await SqlDeliveries(session).claim(clock.now(), LEASE, 10, "b", CHANNELS)
    assert len(first) == 2 and len(second) == 1
    assert not {c.id for c in first} & {c.id for c in second}
    async with database.transaction() as session:
        deliveries = SqlDeliveries(session)
        for claimed in first + second:
            assert await deliveries.settle(claimed, Delivery.SENT, clock.now())
        assert not await deliveries.settle(first[0], Delivery.FAILED, clock.now())  # settled
        assert await deliveries.finish(clock.now()) == [announcement]
    async with database.transaction() as session:
        store = SqlAnnouncements(session)
        assert await store.audience([BA_DINH]) == {"telegram": 1, "messenger": 1, "web": 1}
    clock.advance(minutes=1)
    await Dispatcher(database, make_deps(clock), dialog=echo).handle(
        IncomingMessage(refs[1], text="xin chao")  # wrote again: reachable again
    )
    async with database.transaction() as session:
        store = SqlAnnouncements(session)
        assert await store.audience([BA_DINH]) == dict.fromkeys(CHANNELS, 1)
        found = await store.get(announcement)
        progress = await store.progress(announcement)
        latest = await store.latest_for_commune(BA_DINH, 5, clock.now())
        assert await store.latest_for_commune(HOAI_DUC, 5, clock.now()) == []
        assert await store.cancel(announcement, clock.now()) is Cancel.FINISHED
    assert found is not None and found.state is State.DONE and found.communes == (BA_DINH,)
    assert progress.total(Delivery.SENT) == 3 and progress.finished
    assert [a.id for a in latest] == [announcement]


async def test_a_lapsed_lease_lets_another_worker_take_the_delivery(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        await SqlSubscriptions(session).choose(ConversationRef("web", "w"), BA_DINH, clock.now())
    announcement = await _announce(database, clock)
    async with database.transaction() as session:
        await SqlDeliveries(session).fan_out(announcement, clock.now(), CHANNELS)
        (dead,) = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "dead", CHANNELS)
    async with database.transaction() as session:
        assert await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "b", CHANNELS) == []
    clock.advance(LEASE)
    async with database.transaction() as session:
        (taken,) = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "b", CHANNELS)
        assert taken.id == dead.id
        assert not await SqlDeliveries(session).settle(dead, Delivery.SENT, clock.now())
        assert await SqlDeliveries(session).settle(taken, Delivery.SENT, clock.now())


async def test_a_renewed_lease_stays_with_its_holder_and_a_holder_never_retakes_its_own(
    database: Database, clock: ManualClock
) -> None:
    refs = [ConversationRef("web", f"w{n}") for n in range(3)]
    await _fanned_out(database, clock, refs)
    async with database.transaction() as session:
        held = await SqlDeliveries(session).claim(clock.now(), LEASE, 2, "slow", CHANNELS)
    clock.advance(LEASE * 3 / 4)
    async with database.transaction() as session:
        renewed = await SqlDeliveries(session).renew(held, clock.now())
    assert sorted(renewed) == sorted(each.id for each in held)
    clock.advance(LEASE * 3 / 4)  # past the first lease, within the renewed one
    async with database.transaction() as session:
        (other,) = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "other", CHANNELS)
    assert other.id not in renewed
    clock.advance(LEASE)  # every lease lapsed: the holder's own claim still leaves its own
    async with database.transaction() as session:
        again = await SqlDeliveries(session).claim(
            clock.now(), LEASE, 5, "slow-2", CHANNELS, [each.id for each in held]
        )
    assert [each.id for each in again] == [other.id]
    async with database.transaction() as session:  # "slow-2" took it from "other"
        assert await SqlDeliveries(session).renew([other], clock.now()) == []


async def test_a_held_delivery_is_sent_only_while_its_renewed_lease_surely_lasts(
    database: Database, clock: ManualClock
) -> None:
    await _fanned_out(database, clock, [ConversationRef("web", "w1")])
    holding = Holding(database, clock, LEASE)
    async with database.transaction() as session:
        (held,) = await SqlDeliveries(session).claim(clock.now(), LEASE, 1, "loop", CHANNELS)
    holding.take([held], clock.now())
    assert holding.sendable(held) and holding.ids() == [held.id]

    clock.advance(LEASE * 0.6)  # not renewed: too little of it left to send
    assert not holding.sendable(held)
    await holding.renew()
    assert holding.sendable(held)

    clock.advance(LEASE * 1.5)  # a renewal missed: another worker takes it over
    async with database.transaction() as session:
        (taken,) = await SqlDeliveries(session).claim(clock.now(), LEASE, 1, "other", CHANNELS)
    await holding.renew()  # and this loop's renewal does not take it back
    assert taken.id == held.id and not holding.sendable(held)

    holding.drop([held])
    assert holding.ids() == []


async def test_cancel_only_before_sending_starts(database: Database, clock: ManualClock) -> None:
    later = await _announce(database, clock, send_at=clock.now() + timedelta(days=1))
    now = await _announce(database, clock)
    async with database.transaction() as session:
        await SqlDeliveries(session).fan_out(now, clock.now(), CHANNELS)
    async with database.transaction() as session:
        store = SqlAnnouncements(session)
        assert await store.cancel(later, clock.now()) is Cancel.CANCELLED
        assert await store.cancel(later, clock.now()) is Cancel.ALREADY
        assert await store.cancel(now, clock.now()) is Cancel.STARTED
        assert await store.cancel(999, clock.now()) is Cancel.NOT_FOUND
    clock.advance(days=2)
    async with database.transaction() as session:
        assert await SqlDeliveries(session).due(clock.now()) == []
        listed = await SqlAnnouncements(session).list(None, 10)
        assert [a.id for a in listed] == [now, later]
        assert await SqlAnnouncements(session).list([HOAI_DUC], 10) == []


async def test_a_subscriber_on_an_app_not_run_here_is_counted_failed(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        await SqlSubscriptions(session).choose(ConversationRef("zalo", "z"), BA_DINH, clock.now())
    announcement = await _announce(database, clock)
    async with database.transaction() as session:
        await SqlDeliveries(session).fan_out(announcement, clock.now(), ["web", "telegram"])
        assert await SqlDeliveries(session).finish(clock.now()) == [announcement]
    async with database.transaction() as session:
        progress = await SqlAnnouncements(session).progress(announcement)
    assert progress.by_channel["zalo"][Delivery.FAILED] == 1


async def test_sends_are_settled_together_only_where_the_claim_still_holds(
    database: Database, clock: ManualClock
) -> None:
    refs = [ConversationRef("web", f"w{n}") for n in range(3)]
    announcement, _ = await _fanned_out(database, clock, refs)
    async with database.transaction() as session:
        dead = await SqlDeliveries(session).claim(clock.now(), LEASE, 1, "dead", CHANNELS)
    clock.advance(LEASE)
    async with database.transaction() as session:
        alive = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "alive", CHANNELS)
    assert {c.id for c in dead} < {c.id for c in alive}  # the dead worker's lease ran out
    async with database.transaction() as session:
        assert await SqlDeliveries(session).settle_sent(dead, clock.now()) == []
        assert await SqlDeliveries(session).settle_sent(alive, clock.now()) == alive
        assert await SqlDeliveries(session).settle_sent(alive, clock.now()) == []  # once
        progress = await SqlAnnouncements(session).progress(announcement)
    assert progress.by_channel["web"][Delivery.SENT] == 3 and progress.finished


async def test_a_citizen_who_blocked_the_bot_after_the_fan_out_is_counted_not_claimed(
    database: Database, clock: ManualClock
) -> None:
    blocker, reader = ConversationRef("telegram", "1"), ConversationRef("telegram", "2")
    announcement, queued = await _fanned_out(database, clock, [blocker, reader])
    assert queued == 2
    clock.advance(minutes=1)
    await SqlUnreachableUsers(database, "telegram", clock.now).add(blocker.user_id)
    async with database.transaction() as session:
        claimed = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "a", CHANNELS)
    assert [c.ref for c in claimed] == [reader]
    async with database.transaction() as session:
        progress = await SqlAnnouncements(session).progress(announcement)
    assert progress.by_channel["telegram"][Delivery.BLOCKED] == 1
    assert progress.by_channel["telegram"][Delivery.QUEUED] == 1


async def test_a_round_of_sends_reads_as_little_with_20000_queued_as_with_100(
    database: Database, clock: ManualClock
) -> None:
    """The sender's round, a claim of 50 and the settling of their sends, reads the rows it
    takes, not the queue: a broadcast to 100,000 costs as much a message at its start as at
    its end. (Through an index of every delivery's state, the statements by id read every
    queued row, for each round: 50 times the work here at the start.)"""
    queue, round_ = 20_000, 50
    async with database.transaction() as session:
        await session.execute(
            insert(SubscriptionRow),
            [
                {
                    "channel": "telegram",
                    "user_id": str(9_000_000 + n),
                    "commune_code": BA_DINH,
                    "province_code": 1,
                    "created_at": clock.now(),
                    "updated_at": clock.now(),
                }
                for n in range(queue)
            ],
        )
    announcement = await _announce(database, clock)
    async with database.transaction() as session:
        assert await SqlDeliveries(session).fan_out(announcement, clock.now(), CHANNELS) == queue

    async def one_round(token: str) -> int:
        async with (
            database.transaction() as session,
            work(session, "announcement_deliveries") as measured,
        ):
            claimed = await SqlDeliveries(session).claim(
                clock.now(), LEASE, round_, token, ["telegram"]
            )
            assert len(claimed) == round_
            assert await SqlDeliveries(session).settle_sent(claimed, clock.now()) == claimed
        return measured.units

    at_start = await one_round("first")
    async with database.transaction() as session:  # sent meanwhile: all but 150
        deliveries = AnnouncementDeliveryRow
        last = await session.scalar(
            select(deliveries.id)
            .where(deliveries.state == Delivery.QUEUED)
            .order_by(deliveries.id.desc())
            .offset(150)
            .limit(1)
        )
        await session.execute(
            update(deliveries)
            .where(deliveries.state == Delivery.QUEUED, deliveries.id <= last)
            .values(state=Delivery.SENT, attempts=1, sent_at=clock.now())
        )
    near_the_end = await one_round("last")
    async with database.transaction() as session:
        progress = await SqlAnnouncements(session).progress(announcement)
    assert progress.by_channel["telegram"][Delivery.QUEUED] == 100
    assert progress.by_channel["telegram"][Delivery.SENT] == queue - 100
    assert at_start <= 2 * near_the_end, (at_start, near_the_end)


async def test_two_senders_never_both_take_a_delivery_while_one_sends_it(
    database: Database, database_url: str, clock: ManualClock
) -> None:
    """Two sender processes on one database (two engines): the other one claims, sends and
    settles the very deliveries this one's claim has just read as candidates, before the claim
    takes them. The claim must not take them again: they were sent. (On SQLite the candidates
    were read outside the claim's transaction, and their free lease let it take them.)"""
    refs = [ConversationRef("web", f"w{n}") for n in range(5)]
    await _fanned_out(database, clock, refs)

    async with Database(database_url) as other:

        async def other_round() -> list[Claimed]:
            async with other.transaction() as session:
                taken = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "other", CHANNELS)
            async with other.transaction() as session:  # sent meanwhile
                return await SqlDeliveries(session).settle_sent(taken, clock.now())

        read = "SELECT announcement_deliveries.id"
        with first_after_the_read(database, read, other_round) as rounds:
            async with database.transaction() as session:
                mine = await SqlDeliveries(session).claim(clock.now(), LEASE, 5, "mine", CHANNELS)
        (theirs,) = await asyncio.gather(*rounds)
    assert len(mine) + len(theirs) == len(refs)
    assert {c.id for c in mine}.isdisjoint(c.id for c in theirs)
