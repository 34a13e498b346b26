"""SQLite statements cost one trip each to aiosqlite's thread, their results intact.

SQLAlchemy's own adapter makes four (open a cursor, run, fetch, close), and one more to commit
or roll back a connection with no transaction open; ``bot.storage.sqlite_driver`` makes one,
and none for those. The statements of a turn's storage are counted beside the trips, and what
they return (rows, RETURNING rows, an UPDATE's row count) is checked to be the same.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from support.clock import ManualClock
from support.statements import counted

from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from dialogs.errors import StaleConversation
from dialogs.messages import ConversationRef

REF = ConversationRef("telegram", "12345")


@pytest.fixture
def trips(monkeypatch: pytest.MonkeyPatch) -> list[Callable[..., Any]]:
    """Every function handed to an aiosqlite connection's thread, in order."""
    handed: list[Callable[..., Any]] = []
    run = aiosqlite.Connection._execute

    async def counting(
        self: aiosqlite.Connection, fn: Callable[..., Any], *args: Any, **kw: Any
    ) -> Any:
        handed.append(fn)
        return await run(self, fn, *args, **kw)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counting)
    return handed


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_turns_statements_take_one_trip_each(
    database: Database, clock: ManualClock, trips: list[Callable[..., Any]]
) -> None:
    async with database.transaction() as session:  # connected and migrated: not counted
        await session.execute(text("SELECT 1"))
    trips.clear()
    with counted(database) as statements:
        async with database.transaction() as session:
            conversations = SqlConversations(session)
            stored = await conversations.open(REF, clock.now(), locale="vi")
            assert await conversations.save(REF, {"step": "a"}, stored.version, clock.now()) == 1
    assert stored.version == 0 and stored.locale == "vi"  # read back by the RETURNING clause
    assert len(statements) == 3  # the user's row, the new conversation, the save
    commit = 1  # and no rollback when the pool takes the committed connection back
    assert len(trips) == len(statements) + commit

    trips.clear()
    async with database.transaction() as session:  # reads only: nothing to commit
        assert (await session.execute(text("SELECT count(*) FROM conversations"))).scalar() == 1
    assert len(trips) == 1

    with pytest.raises(StaleConversation):  # an UPDATE's row count still tells a stale save
        async with database.transaction() as session:
            await SqlConversations(session).save(REF, {"step": "b"}, 0, clock.now())
    async with database.transaction() as session:
        again = await SqlConversations(session).open(REF, clock.now())
    assert (again.state, again.version) == ({"step": "a"}, 1)
