"""A Telegram update whose turn fails is logged by the channel's queue with its cause and an id
of its own, and nothing the citizen typed; the citizen's next update is still handled."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from fakes.telegram import FakeTelegram
from sqlalchemy import text
from support.apps import serving, telegram_env
from support.clock import ManualClock
from support.procedures import BIRTH

from knowledge.base import LocalKnowledgeBase

SAID = "dang ky khai sinh cho con, sdt 0912345678"


async def test_a_failed_update_is_logged_with_traceback_and_its_own_request_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeTelegram() as telegram:
        env = {"MOTCUA_DATA_DIR": str(tmp_path), **telegram_env(telegram)}
        knowledge = LocalKnowledgeBase([BIRTH])
        async with serving(env, knowledge=knowledge, clock=ManualClock()) as app:
            async with app.database.transaction() as session:
                await session.execute(text("DROP TABLE message_log"))
            citizen, other = telegram.user(), telegram.user(5_550_777)
            citizen.send(SAID)
            other.send(SAID)
            for _ in range(200):
                failed = [r for r in caplog.records if "telegram message failed" in r.getMessage()]
                if len(failed) == 2:
                    break
                await asyncio.sleep(0.02)

    assert len(failed) == 2, caplog.text  # the other citizen's update was still taken up
    first, second = failed
    assert first.levelno == logging.ERROR
    assert first.request_id != "-" and first.request_id != second.request_id
    assert first.exc_text is not None and "no such table: message_log" in first.exc_text
    for secret in (SAID, "0912345678", str(citizen.id), str(other.id)):
        assert secret not in caplog.text
