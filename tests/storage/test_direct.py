"""The statements run on the driver's own connection (``bot.storage.direct``) keep what
SQLAlchemy's execution gave: they commit and roll back with the session's other statements,
the statement counters hear them, and a driver's error is SQLAlchemy's, its values hidden, a
refusal told apart from a database gone away."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support.clock import ManualClock
from support.statements import counted

from bot.storage.conversations import SqlConversations
from bot.storage.database import Database, unreachable
from bot.storage.message_log import SqlMessageLog
from dialogs.messages import ConversationRef, IncomingMessage, Reply

REF = ConversationRef("telegram", "4242")
SAID = "số CCCD của tôi là 001099012345"
"""What a citizen typed: personal data, never quoted by an error."""


async def test_a_turns_writes_commit_and_roll_back_together(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        stored = await SqlConversations(session).open(REF, clock.now(), "vi")
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            conversations = SqlConversations(session)
            await conversations.save(REF, {"step": "lost"}, stored.version, clock.now())
            await SqlMessageLog(session).record_turn(
                REF, IncomingMessage(REF, text="lost"), [Reply("lost")], clock.now()
            )
            raise RuntimeError("the turn fails after its writes")
    with counted(database) as statements:
        async with database.transaction() as session:
            conversations = SqlConversations(session)
            again = await conversations.open(REF, clock.now())
            await conversations.save(REF, {"step": "kept"}, again.version, clock.now())
            await SqlMessageLog(session).record_turn(
                REF, IncomingMessage(REF, text="kept"), [Reply("kept")], clock.now()
            )
    assert (again.state, again.version) == ({}, 0)  # the failed turn left nothing
    assert [s.split()[0] for s in statements] == ["INSERT", "UPDATE", "INSERT"]
    async with database.transaction() as session:
        kept = await SqlConversations(session).open(REF, clock.now())
        logged = await SqlMessageLog(session).history(REF)
    assert (kept.state, kept.version, kept.locale) == ({"step": "kept"}, 1, "vi")
    assert [(m.direction.value, m.text, m.at) for m in logged] == [
        ("in", "kept", clock.now()),
        ("out", "kept", clock.now()),
    ]


async def test_a_refused_statement_is_a_fault_with_its_values_hidden(
    database: Database, clock: ManualClock
) -> None:
    with pytest.raises(DBAPIError) as refused:
        async with database.transaction() as session:
            # A row without its time: refused by the NOT NULL of ``message_log.at``.
            await SqlMessageLog(session).record_turn(
                REF,
                IncomingMessage(REF, text=SAID),
                (),
                None,  # type: ignore[arg-type]
            )
    assert not unreachable(refused.value)
    assert "001099012345" not in str(refused.value)
    async with database.transaction() as session:  # the connection is usable again
        assert (await SqlConversations(session).open(REF, clock.now())).version == 0


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_connection_gone_under_a_direct_statement_is_the_database_away(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        await SqlConversations(session).open(REF, clock.now())
    with pytest.raises(DBAPIError) as away:
        async with database.transaction() as session:
            backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            async with database.engine.connect() as other:
                await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
            await SqlConversations(session).save(REF, {"step": "a"}, 0, clock.now())
    assert unreachable(away.value)
    async with database.transaction() as session:  # a new connection takes the next turn
        assert await SqlConversations(session).save(REF, {"step": "a"}, 0, clock.now()) == 1


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_pooled_connection_the_server_closed_is_replaced_before_a_unit_of_work_gets_it(
    database: Database, clock: ManualClock
) -> None:
    async with database.engine.connect() as other:  # the connection that ends the pooled one
        async with database.transaction() as session:
            backend = (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
            await SqlConversations(session).open(REF, clock.now())
        await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        for _ in range(100):  # until the backend has exited and closed its socket
            gone = text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid")
            if (await other.execute(gone, {"pid": backend})).scalar_one():
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)  # asyncpg hears the close on the idle socket
    async with database.transaction() as session:  # first in line in the pool: the closed one
        assert (await session.execute(text("SELECT pg_backend_pid()"))).scalar_one() != backend
        assert await SqlConversations(session).save(REF, {"step": "a"}, 0, clock.now()) == 1
