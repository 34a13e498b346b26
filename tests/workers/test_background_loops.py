"""The app's background loops stop between rounds, never mid-database, and never die in silence.

Cancelling a task inside a unit of work on SQLite can hang it for good (``bot.supervision``), so
shutting the app down tells each loop to stop and lets a round in progress commit; only a loop
still busy after the grace period is cancelled.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from support.procedures import BIRTH

from bot import app as app_module
from bot.app import build_app
from bot.config import Settings
from bot.storage.message_log import SqlMessageLog
from bot.storage.schema_head import prepare_database
from dialogs.messages import ConversationRef, IncomingMessage
from knowledge.base import LocalKnowledgeBase

REF = ConversationRef("terminal", "loop-test")


async def settings_for(tmp_path: Path) -> Settings:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await prepare_database(settings.database_url)
    return settings


async def test_shutdown_lets_a_round_in_progress_commit(tmp_path: Path) -> None:
    settings = await settings_for(tmp_path)
    in_round = asyncio.Event()
    rounds_ended = 0

    async with build_app(settings, knowledge=LocalKnowledgeBase([BIRTH])) as app:

        async def loop(until: asyncio.Event) -> None:
            nonlocal rounds_ended
            while not until.is_set():
                async with app.database.transaction() as session:
                    message = IncomingMessage(ref=REF, text=f"round {rounds_ended}")
                    await SqlMessageLog(session).record_incoming(message, datetime.now(UTC))
                    in_round.set()
                    await asyncio.sleep(0.3)  # shutdown is asked for while the round is open
                rounds_ended += 1

        task = app.run_in_background("test", loop)
        await asyncio.wait_for(in_round.wait(), 5)
        await asyncio.wait_for(app.stop_background(), 5)
        assert task.done() and not task.cancelled()
        async with app.database.transaction() as session:
            kept = [entry.text for entry in await SqlMessageLog(session).history(REF)]
    assert rounds_ended == 1
    assert kept == ["round 0"]


async def test_a_loop_that_fails_is_started_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = await settings_for(tmp_path)
    starts = 0
    second_start = asyncio.Event()

    async def loop(until: asyncio.Event) -> None:
        nonlocal starts
        starts += 1
        if starts == 1:
            raise RuntimeError("round failed")
        second_start.set()
        await until.wait()

    async with build_app(settings, knowledge=LocalKnowledgeBase([BIRTH])) as app:
        app.run_in_background("flaky", loop)
        await asyncio.wait_for(second_start.wait(), 5)
        await app.stop_background()
    assert starts == 2
    assert "flaky loop failed" in caplog.text


async def test_a_loop_that_ignores_the_stop_is_cancelled_after_the_grace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(app_module, "STOP_GRACE", 0.2)
    settings = await settings_for(tmp_path)
    hung = asyncio.Event()

    async def loop(until: asyncio.Event) -> None:
        hung.set()
        await asyncio.Event().wait()  # a platform call that never answers

    async with build_app(settings, knowledge=LocalKnowledgeBase([BIRTH])) as app:
        task = app.run_in_background("hung", loop)
        await asyncio.wait_for(hung.wait(), 5)
        await asyncio.wait_for(app.stop_background(), 5)
        assert task.cancelled()
    assert "hung loop still busy at shutdown" in caplog.text
