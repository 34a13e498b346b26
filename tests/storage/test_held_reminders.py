"""Reminders a closed messaging window refused: held, then sent once with the next answer."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pytest
from support.clock import ManualClock

from bot.dispatcher import Dispatcher
from bot.inbox import DurableInbox
from bot.storage.database import Database
from bot.storage.reminders import ReminderStatus
from dialogs.errors import OutsideWindow
from dialogs.messages import ConversationRef, IncomingMessage, Reply
from dialogs.step import DialogDeps, Step
from storage.test_dispatcher import REF, echo, make_deps
from storage.test_reminders import AGAIN, RecordingChannel, _ask_for_a_reminder, _reminders, worker

REMINDER = Reply("2: remind:due", AGAIN)


async def _hold_a_reminder(database: Database, clock: ManualClock) -> None:
    """A reminder falls due while the citizen's window is closed."""
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    assert await worker(database, clock, RecordingChannel(OutsideWindow())).run_once() == 0


async def test_a_reminder_due_outside_the_window_is_held_not_failed(
    database: Database, database_url: str, clock: ManualClock
) -> None:
    await _hold_a_reminder(database, clock)
    (reminder,) = await _reminders(database)
    assert (reminder.status, reminder.last_error) == (ReminderStatus.HELD, "OutsideWindow")
    assert reminder.replies == (REMINDER,)

    # Neither another worker nor a restarted process sends it again through the closed window.
    clock.advance(timedelta(days=1))
    async with Database(database_url) as restarted:
        channel = RecordingChannel()
        assert await worker(restarted, clock, channel).run_once() == 0
        assert await worker(restarted, clock, channel).run_once() == 0
        assert channel.sent == []
        (reminder,) = await _reminders(restarted)
    assert reminder.status is ReminderStatus.HELD


async def test_the_next_message_gets_the_reminder_first_then_its_answer_once(
    database: Database, database_url: str, clock: ManualClock
) -> None:
    await _hold_a_reminder(database, clock)
    async with Database(database_url) as restarted:
        dispatcher = Dispatcher(restarted, make_deps(clock), dialog=echo)
        async with DurableInbox(restarted, dispatcher.handle, clock, poll_interval=0.05) as inbox:
            hello = IncomingMessage(REF, text="hello", message_id="m1")
            first = await inbox.answer(hello, patience=5)
            assert first == (REMINDER, Reply("3: hello", AGAIN))
            (reminder,) = await _reminders(restarted)
            assert reminder.status is ReminderStatus.DONE

            # The platform redelivers the message: nothing is answered or handed over twice.
            assert not await inbox.accept(hello)
            more = await inbox.answer(IncomingMessage(REF, text="more"), patience=5)
            assert more == (Reply("4: more", AGAIN),)
        assert await worker(restarted, clock, RecordingChannel()).run_once() == 0


async def test_two_messages_at_once_hand_the_reminder_over_once(
    database: Database, clock: ManualClock
) -> None:
    await _hold_a_reminder(database, clock)
    # Two workers, each with its own in-process locks, get a message from the citizen at once.
    answers = await asyncio.gather(
        *(
            Dispatcher(database, make_deps(clock), dialog=echo).handle(
                IncomingMessage(REF, text=said)
            )
            for said in ("one", "two")
        )
    )
    assert sum(replies.count(REMINDER) for replies in answers) == 1
    assert [replies.index(REMINDER) for replies in answers if REMINDER in replies] == [0]


async def test_only_the_citizen_on_that_channel_opens_the_window(
    database: Database, clock: ManualClock
) -> None:
    await _hold_a_reminder(database, clock)
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    for other in (ConversationRef("zalo", REF.user_id), ConversationRef(REF.channel, "123")):
        assert await dispatcher.handle(IncomingMessage(other, text="hi")) == [Reply("1: hi", AGAIN)]
    (reminder,) = await _reminders(database)
    assert reminder.status is ReminderStatus.HELD


def _stopped_mid_turn(state: Mapping[str, Any], message: IncomingMessage, deps: DialogDeps) -> Step:
    """The process is stopped while the dialog runs (after the held reminders were taken)."""
    raise asyncio.CancelledError


async def test_a_turn_that_dies_midway_keeps_the_reminder_held(
    database: Database, clock: ManualClock
) -> None:
    await _hold_a_reminder(database, clock)
    dying = Dispatcher(database, make_deps(clock), dialog=_stopped_mid_turn)
    with pytest.raises(asyncio.CancelledError):
        await dying.handle(IncomingMessage(REF, text="hello", message_id="m1"))
    (reminder,) = await _reminders(database)
    assert reminder.status is ReminderStatus.HELD

    # The platform redelivers the message to a healthy process: the reminder comes with it.
    dispatcher = Dispatcher(database, make_deps(clock), dialog=echo)
    replies = await dispatcher.handle(IncomingMessage(REF, text="hello", message_id="m1"))
    assert replies == [REMINDER, Reply("3: hello", AGAIN)]


async def test_a_proactive_turn_does_not_take_held_reminders(
    database: Database, clock: ManualClock
) -> None:
    for _ in range(2):
        await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))
    # The first reminder is refused; the second is sent (the window looked open by then).
    channel = RecordingChannel(OutsideWindow())
    assert await worker(database, clock, channel).run_once() == 1
    assert len(channel.sent) == 1
    statuses = sorted(r.status for r in await _reminders(database))
    assert statuses == [ReminderStatus.DONE, ReminderStatus.HELD]
