"""Accepted sends committed in groups: every one handed in together is recorded once, with its
log row, in one commit, and one whose claim lapsed is left to the worker holding it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import event, func, select
from support.clock import ManualClock

from bot.announcements.compose import Author, Draft, compose
from bot.announcements.recording import Sent, record_sent
from bot.announcements.store import Delivery, SqlAnnouncements, SqlDeliveries
from bot.batches import GroupCommit
from bot.storage.database import Database
from bot.storage.message_log import SqlMessageLog
from bot.storage.subscriptions import SqlSubscriptions
from bot.storage.tables import MessageLogRow
from dialogs.messages import ConversationRef, Reply

LEASE = timedelta(minutes=1)
CHANNELS = ("web",)


async def test_sends_handed_in_together_are_recorded_once_in_one_group(
    database: Database, clock: ManualClock
) -> None:
    refs = [ConversationRef("web", f"w{n}") for n in range(4)]
    async with database.transaction() as session:
        for ref in refs:
            await SqlSubscriptions(session).choose(ref, 4, clock.now())
    composed = compose(
        Draft(text_vi="Lịch tiêm chủng", communes=["00004"]),
        Author.command_line(),
        clock.now(),
        lambda message: message,
    )
    async with database.transaction() as session:
        announcement = (
            await SqlAnnouncements(session).create(composed, Author.command_line(), clock.now())
        ).id
        await SqlDeliveries(session).fan_out(announcement, clock.now(), CHANNELS)
        (lapsed,) = await SqlDeliveries(session).claim(clock.now(), LEASE, 1, "dead", CHANNELS)
    clock.advance(LEASE)
    async with database.transaction() as session:
        claimed = await SqlDeliveries(session).claim(clock.now(), LEASE, 10, "alive", CHANNELS)
    message = (Reply("📢 Lịch tiêm chủng"),)

    commits: list[object] = []
    count = commits.append
    event.listen(database.engine.sync_engine, "commit", count)

    async def group(sends: Sequence[Sent]) -> list[bool]:
        return await record_sent(database, sends, clock.now())

    recorded = GroupCommit(group, "announcement sends")
    outcomes = await asyncio.gather(*(recorded((each, message)) for each in [lapsed, *claimed]))
    event.remove(database.engine.sync_engine, "commit", count)

    assert len(commits) == 1  # handed in before the first commit began: one group
    assert outcomes == [False, True, True, True, True]
    async with database.transaction() as session:
        progress = await SqlAnnouncements(session).progress(announcement)
        logged = await session.scalar(select(func.count()).select_from(MessageLogRow))
        history = await SqlMessageLog(session).history(claimed[0].ref)
    assert progress.by_channel["web"][Delivery.SENT] == 4
    assert logged == 4  # the lapsed claim's row was settled by the claim that holds it
    assert [m.text for m in history] == ["📢 Lịch tiêm chủng"]
