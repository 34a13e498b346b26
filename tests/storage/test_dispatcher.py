"""The dispatcher: one conversation at a time, state saved, effects recorded, errors kind.

A tiny echo dialog stands in for the conversations, so these tests are about the dispatcher.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession
from support.clock import ManualClock

from bot import i18n
from bot.dispatcher import APOLOGY, Dispatcher, conversation_hash
from bot.redis_locks import RedisLocks
from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.message_log import Direction, SqlMessageLog
from bot.storage.reminders import SqlReminders
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from dialogs.step import DialogDeps, ScheduleReminder, Step
from knowledge.questions import Answer, AnswerKind
from knowledge.results import SearchResult

REF = ConversationRef("telegram", "987654321")
SECRET = "0912345678"  # a phone number: must never reach the logs


class NoKnowledge:
    """The echo dialog never consults the knowledge base."""

    def get(self, code: str) -> None:
        return None

    def search(self, query: str, locale: str = "vi", limit: int = 5) -> SearchResult:
        return SearchResult(query=query, match=None)

    def answer(self, query: str, locale: str = "vi", limit: int = 5) -> Answer:
        return Answer(AnswerKind.NONE, SearchResult(query=query, match=None))


def echo(state: Mapping[str, Any], message: IncomingMessage, deps: DialogDeps) -> Step:
    """Counts turns and echoes; "boom" fails, "remind" schedules, "bad" returns non-JSON state."""
    said = message.text or message.payload or ""
    if said.startswith("boom"):
        raise RuntimeError(f"cannot handle {said!r}")
    count = int(state.get("count", 0)) + 1
    new_state: dict[str, Any] = {"step": "echo", "count": count}
    if said == "bad":
        new_state["when"] = deps.clock.now()
    effects: tuple[ScheduleReminder, ...] = ()
    if said == "remind":
        effects = (ScheduleReminder(deps.clock.now() + timedelta(days=3), "remind:due"),)
    reply = Reply(f"{count}: {said}", (Button("Again", payload="again"),))
    return Step(state=new_state, replies=(reply,), effects=effects)


def make_deps(clock: ManualClock) -> DialogDeps:
    return DialogDeps(knowledge=NoKnowledge(), clock=clock, translator=lambda locale: None)  # type: ignore[arg-type,return-value]


@pytest.fixture
def dispatcher(database: Database, clock: ManualClock) -> Dispatcher:
    return Dispatcher(database, make_deps(clock), dialog=echo)


async def _state(database: Database) -> tuple[dict[str, Any], int] | None:
    async with database.transaction() as session:
        stored = await SqlConversations(session).load(REF)
    return None if stored is None else (stored.state, stored.version)


async def _history(database: Database) -> list[tuple[Direction, str | None]]:
    async with database.transaction() as session:
        return [(m.direction, m.text) for m in await SqlMessageLog(session).history(REF)]


async def test_a_turn_is_answered_saved_and_logged(
    dispatcher: Dispatcher, database: Database, database_url: str, clock: ManualClock
) -> None:
    replies = await dispatcher.handle(IncomingMessage(REF, text="xin chao", message_id="1"))
    assert replies == [Reply("1: xin chao", (Button("Again", payload="again"),))]
    assert await _state(database) == ({"step": "echo", "count": 1}, 1)
    assert await _history(database) == [(Direction.IN, "xin chao"), (Direction.OUT, "1: xin chao")]

    # A restart: a new engine and dispatcher carry on from the stored state.
    async with Database(database_url) as restarted:
        again = Dispatcher(restarted, make_deps(clock), dialog=echo)
        replies = await again.handle(IncomingMessage(REF, payload="again", message_id="2"))
    assert replies[0].text == "2: again"


async def test_one_conversation_at_a_time(dispatcher: Dispatcher, database: Database) -> None:
    messages = [IncomingMessage(REF, text=f"m{n}", message_id=f"m{n}") for n in range(15)]
    results = await asyncio.gather(*(dispatcher.handle(m) for m in messages))
    assert sorted(replies[0].text.split(":")[0] for replies in results) == sorted(
        str(n) for n in range(1, 16)
    )
    assert await _state(database) == ({"step": "echo", "count": 15}, 15)


async def test_one_conversation_at_a_time_across_workers_with_redis(
    database: Database, clock: ManualClock, redis: Redis, redis_prefix: str
) -> None:
    workers = [
        Dispatcher(
            database, make_deps(clock), locks=RedisLocks(redis, prefix=redis_prefix), dialog=echo
        )
        for _ in range(3)
    ]
    await asyncio.gather(
        *(workers[n % 3].handle(IncomingMessage(REF, text=f"m{n}")) for n in range(9))
    )
    assert await _state(database) == ({"step": "echo", "count": 9}, 9)


async def test_a_failing_dialog_gets_an_apology_and_leaves_the_state_alone(
    dispatcher: Dispatcher, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await dispatcher.handle(IncomingMessage(REF, text="hello"))
    before = await _state(database)
    caplog.set_level(logging.INFO)

    replies = await dispatcher.handle(IncomingMessage(REF, text=f"boom {SECRET}"))
    assert replies == [Reply(APOLOGY["vi"])]
    assert await _state(database) == before

    replies = await dispatcher.handle(IncomingMessage(REF, text="boom", locale="en-US"))
    assert replies == [Reply(APOLOGY["en"])]

    (record, *_) = [r for r in caplog.records if r.name == "bot.dispatcher"]
    logged = caplog.text
    assert "RuntimeError" in logged and "step=echo" in logged and "channel=telegram" in logged
    assert conversation_hash(REF) in logged
    assert SECRET not in logged and REF.user_id not in logged
    assert record.levelno == logging.ERROR


async def test_a_state_that_is_not_json_is_refused_before_saving(
    dispatcher: Dispatcher, database: Database
) -> None:
    await dispatcher.handle(IncomingMessage(REF, text="hello"))
    before = await _state(database)
    replies = await dispatcher.handle(IncomingMessage(REF, text="bad"))
    assert replies == [Reply(APOLOGY["vi"])]
    assert await _state(database) == before


async def test_a_scheduled_reminder_is_stored_with_the_turn(
    dispatcher: Dispatcher, database: Database, clock: ManualClock
) -> None:
    await dispatcher.handle(IncomingMessage(REF, text="remind"))
    async with database.transaction() as session:
        (reminder,) = await SqlReminders(session).for_conversation(REF)
    assert (reminder.payload, reminder.due_at) == ("remind:due", clock.now() + timedelta(days=3))


async def test_a_hook_that_fails_before_commit_takes_the_whole_turn_back(
    dispatcher: Dispatcher, database: Database
) -> None:
    message = IncomingMessage(REF, text="remind", message_id="m-1")

    async def crash(session: AsyncSession, replies: Sequence[Reply]) -> None:
        raise ConnectionError("database went away before commit")

    with pytest.raises(ConnectionError):
        await dispatcher.handle(message, crash)
    assert await _state(database) is None  # nothing half-written: no user, state, log, reminder
    async with database.transaction() as session:
        assert await SqlReminders(session).for_conversation(REF) == []

    assert (await dispatcher.handle(message))[0].text == "1: remind"


async def test_oversized_references_are_refused_and_nothing_is_stored(
    dispatcher: Dispatcher, database: Database
) -> None:
    with pytest.raises(ValueError, match="too long"):
        await dispatcher.handle(IncomingMessage(ConversationRef("web", "x" * 300), text="hi"))
    with pytest.raises(ValueError, match="too long"):
        await dispatcher.handle(IncomingMessage(REF, text="hi", message_id="9" * 300))
    assert await _state(database) is None


async def test_the_real_conversations_are_the_default(
    database: Database, clock: ManualClock
) -> None:
    deps = DialogDeps(knowledge=NoKnowledge(), clock=clock, translator=i18n.translator)
    dispatcher = Dispatcher(database, deps)
    replies = await dispatcher.handle(IncomingMessage(REF, text="/start", locale="vi"))
    assert replies and any(reply.buttons for reply in replies)
    stored = await _state(database)
    assert stored is not None
    state, version = stored
    assert version == 1 and isinstance(state.get("step"), str)


async def test_many_conversations_at_once(dispatcher: Dispatcher, database: Database) -> None:
    refs = [ConversationRef("web", f"user-{n}") for n in range(12)]
    await asyncio.gather(
        *(
            dispatcher.handle(IncomingMessage(ref, text="hi", message_id=ref.user_id))
            for ref in refs
        )
    )
    async with database.transaction() as session:
        conversations = SqlConversations(session)
        loaded = [await conversations.load(ref) for ref in refs]
    assert all(c is not None and c.state["count"] == 1 for c in loaded)
