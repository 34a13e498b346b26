"""Conversation state: created on first contact, saved with a version check, never half-written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from support.clock import ManualClock

from bot.storage.conversations import SqlConversations
from bot.storage.database import Database
from bot.storage.identity import SqlIdentities
from bot.storage.json_text import JsonText
from dialogs.errors import StaleConversation
from dialogs.messages import ConversationRef

REF = ConversationRef("telegram", "12345")


async def test_first_contact_creates_an_empty_state(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        stored = await SqlConversations(session).open(REF, clock.now(), locale="vi")
    assert (stored.state, stored.version, stored.locale) == ({}, 0, "vi")


async def test_saved_state_is_loaded_again_in_a_new_unit_of_work(
    database: Database, clock: ManualClock
) -> None:
    state = {"v": 1, "step": "checklist:item", "checklists": {"1.001193": {"i": 3}}, "ok": True}
    async with database.transaction() as session:
        conversations = SqlConversations(session)
        stored = await conversations.open(REF, clock.now())
        assert await conversations.save(REF, state, stored.version, clock.now()) == 1
    async with database.transaction() as session:
        again = await SqlConversations(session).open(REF, clock.now())
    assert (again.state, again.version) == (state, 1)


async def test_a_state_serialised_already_is_stored_as_that_json(
    database: Database, clock: ManualClock
) -> None:
    """A turn saves the text it checked its state with (``JsonText``): read back, it is the
    state itself, on the app's own conversation and on a person's shared one, and a plain
    string in a state is still stored as a string."""
    state = {"v": 1, "step": "menu", "said": '{"not": "json text"}', "n": [1, 2.5, None]}
    async with database.transaction() as session:
        conversations = SqlConversations(session)
        own = await conversations.open(REF, clock.now())
        person = await SqlIdentities(session).ensure_person(REF, clock.now())
        shared = await conversations.open_shared(own, person, clock.now())
        await conversations.save_stored(own, JsonText(json.dumps(state)), clock.now())
        await conversations.save_stored(shared, JsonText(json.dumps(state)), clock.now())
    async with database.transaction() as session:
        conversations = SqlConversations(session)
        again = await conversations.open(REF, clock.now())
        assert (again.state, again.version) == (state, 1)
        assert (await conversations.open_shared(again, person, clock.now())).state == state


async def test_locale_is_kept_when_a_platform_stops_sending_it(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        await SqlConversations(session).open(REF, clock.now(), locale="en")
    async with database.transaction() as session:
        stored = await SqlConversations(session).open(REF, clock.now(), locale=None)
    assert stored.locale == "en"


async def test_an_odd_platform_locale_is_cut_to_size(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        stored = await SqlConversations(session).open(REF, clock.now(), locale="x" * 500)
    assert stored.locale == "x" * 16


async def test_a_stale_save_fails_loudly_and_keeps_the_newer_state(
    database: Database, clock: ManualClock
) -> None:
    async with database.transaction() as session:
        first = await SqlConversations(session).open(REF, clock.now())
    async with database.transaction() as session:
        await SqlConversations(session).save(REF, {"step": "newer"}, first.version, clock.now())
    with pytest.raises(StaleConversation):
        async with database.transaction() as session:
            await SqlConversations(session).save(REF, {"step": "older"}, first.version, clock.now())
    async with database.transaction() as session:
        stored = await SqlConversations(session).load(REF)
    assert stored is not None
    assert (stored.state, stored.version) == ({"step": "newer"}, 1)


async def test_a_failed_unit_of_work_leaves_nothing_behind(
    database: Database, clock: ManualClock
) -> None:
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            conversations = SqlConversations(session)
            stored = await conversations.open(REF, clock.now())
            await conversations.save(REF, {"step": "half"}, stored.version, clock.now())
            raise RuntimeError("crash before commit")
    async with database.transaction() as session:
        assert await SqlConversations(session).load(REF) is None


async def test_conversations_are_separate_per_channel(
    database: Database, clock: ManualClock
) -> None:
    other = ConversationRef("zalo", REF.user_id)
    async with database.transaction() as session:
        conversations = SqlConversations(session)
        stored = await conversations.open(REF, clock.now())
        await conversations.save(REF, {"step": "a"}, stored.version, clock.now())
        assert (await conversations.open(other, clock.now())).state == {}


async def test_database_errors_do_not_quote_what_users_typed(
    database: Database, clock: ManualClock
) -> None:
    secret = "so CCCD 001099012345"
    with pytest.raises(SQLAlchemyError) as raised:
        async with database.transaction() as session:
            await SqlConversations(session).open(REF, clock.now())
            await session.execute(
                text("INSERT INTO secrets (key, value, updated_at) VALUES (:k, :v, NULL)"),
                {"k": "x", "v": secret},
            )
    assert secret not in str(raised.value)
