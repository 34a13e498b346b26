"""Recording accepted sends in groups: one commit for whatever came back while the last ran.

A commit per message held a broadcast to the database's pace (SQLite: one writer, a few
milliseconds a commit), far below Telegram's 1,000 messages a second for paid broadcasts.
Accepted sends are handed to a ``bot.batches.GroupCommit`` over ``record_sent``, which writes
a group in one transaction (one UPDATE of the deliveries, one INSERT into the conversations'
log) and then takes whatever arrived meanwhile. Nothing waits on a timer: at a low rate every
group is one message, committed as soon as it came back, so the window a crash can repeat
(the platform accepted, the commit did not happen) stays as short as one commit, and at a
high rate it holds what came back during one commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.announcements.store import Claimed, SqlDeliveries
from bot.storage.database import Database
from bot.storage.message_log import SqlMessageLog
from dialogs.messages import Reply

Sent = tuple[Claimed, tuple[Reply, ...]]
"""A delivery the platform accepted, with the message it was sent."""


async def record_sent(database: Database, group: Sequence[Sent], now: datetime) -> list[bool]:
    """Per send, in order: True once recorded, False when its claim had lapsed (the worker
    now holding it records it)."""
    replies = dict(group)
    async with database.transaction() as session:
        settled = set(await SqlDeliveries(session).settle_sent(list(replies), now))
        # The log rows are the web chat's messages: written with the outcome, exactly once.
        await SqlMessageLog(session).record_sent(
            ((delivery.ref, replies[delivery]) for delivery in settled), now
        )
    return [delivery in settled for delivery, _ in group]
