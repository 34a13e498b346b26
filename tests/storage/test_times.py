"""Times are kept as the same moments on every backend: SQLite's text is SQLAlchemy's own
``DATETIME`` text of the UTC time (``bot.storage.types`` writes it in one step), so times
written before and after compare as text in time order, and any zone reads back as UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text
from sqlalchemy.dialects.sqlite import DATETIME, dialect

from bot.storage.database import Database
from bot.storage.message_log import SqlMessageLog
from bot.storage.tables import MessageLogRow
from dialogs.messages import ConversationRef, IncomingMessage

REF = ConversationRef("telegram", "7007")
VIETNAM = timezone(timedelta(hours=7))
MOMENTS = (
    datetime(2026, 12, 7, 21, 8, tzinfo=UTC),  # no microseconds: still written out
    datetime(2026, 12, 8, 4, 8, 0, 250, tzinfo=VIETNAM),  # 21:08:00.000250 UTC
    datetime(2026, 12, 7, 21, 8, 0, 999999, tzinfo=UTC),
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),  # a year of three digits
)


async def test_times_of_any_zone_are_kept_as_the_same_moments_in_utc(database: Database) -> None:
    async with database.transaction() as session:
        log = SqlMessageLog(session)
        for n, moment in enumerate(MOMENTS):
            await log.record_incoming(IncomingMessage(REF, text=str(n)), moment)
    async with database.transaction() as session:
        kept = {m.text: m.at for m in await SqlMessageLog(session).history(REF)}
        # Compared through SQLAlchemy's own statement, bound in Vietnam's time.
        bound = datetime(2026, 12, 8, 4, 8, 0, 250, tzinfo=VIETNAM)
        earlier = await session.scalars(
            select(MessageLogRow.text).where(MessageLogRow.at < bound).order_by(MessageLogRow.id)
        )
        before_bound = list(earlier)
        stored = list(await session.scalars(text("SELECT at FROM message_log ORDER BY id")))
    assert kept == {str(n): moment.astimezone(UTC) for n, moment in enumerate(MOMENTS)}
    assert all(at.tzinfo is UTC for at in kept.values())
    assert before_bound == ["0", "3"]
    if database.dialect == "sqlite":
        written_by_sqlalchemy = DATETIME().bind_processor(dialect())
        assert written_by_sqlalchemy is not None
        assert stored == [
            written_by_sqlalchemy(moment.astimezone(UTC).replace(tzinfo=None)) for moment in MOMENTS
        ]
        assert stored[0] == "2026-12-07 21:08:00.000000"


async def test_a_time_without_a_zone_is_refused(database: Database) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        async with database.transaction() as session:
            await SqlMessageLog(session).record_incoming(
                IncomingMessage(REF, text="x"), datetime(2026, 12, 7, 21, 8)
            )
