"""A reminder that fails unexpectedly is logged with its cause under its own request id, with no
personal data, and the worker's round carries on."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import pytest
from support.clock import ManualClock

from bot.storage.database import Database
from dialogs.messages import ConversationRef, Reply
from storage.test_reminders import RecordingChannel, _ask_for_a_reminder, _reminders, worker


class BrokenChannel(RecordingChannel):
    """A channel with a bug whose error message quotes the recipient's phone number."""

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        raise RuntimeError("unexpected answer for 0912345678 (CCCD 001090012345)")


async def test_an_unexpected_send_failure_is_logged_with_traceback_and_reminder_id(
    database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    await _ask_for_a_reminder(database, clock)
    clock.advance(timedelta(days=3))

    assert await worker(database, clock, BrokenChannel()).run_once() == 0

    (reminder,) = await _reminders(database)
    assert reminder.attempts == 1  # put back for a retry
    [record] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert record.getMessage() == f"reminder {reminder.id} could not be delivered"
    assert record.request_id == f"reminder-{reminder.id}"
    assert record.exc_text is not None and "Traceback" in record.exc_text
    assert "RuntimeError: unexpected answer for <phone> (CCCD <id>)" in record.exc_text
    assert "0912345678" not in caplog.text and "001090012345" not in caplog.text
