"""The message log keeps a conversation readable again, buttons included, for a limited time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.clock import ManualClock

from bot.cli import main
from bot.storage.database import Database
from bot.storage.message_log import Direction, SqlMessageLog
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply

REF = ConversationRef("web", "anon-1")


async def test_history_is_oldest_first_with_buttons(database: Database, clock: ManualClock) -> None:
    buttons = (Button("Xem giấy tờ", payload="cl:1.001193"), Button("Nộp", url="https://x.vn/"))
    async with database.transaction() as session:
        log = SqlMessageLog(session)
        await log.record_incoming(IncomingMessage(REF, text="dang ky khai sinh"), clock.now())
        await log.record_replies(REF, [Reply("Đăng ký khai sinh", buttons)], clock.now())
        clock.advance(timedelta(seconds=5))
        await log.record_incoming(IncomingMessage(REF, payload="cl:1.001193"), clock.now())
        await log.record_incoming(
            IncomingMessage(ConversationRef("web", "someone-else"), text="x"), clock.now()
        )
    async with database.transaction() as session:
        history = await SqlMessageLog(session).history(REF)
    assert [(m.direction, m.text, m.payload) for m in history] == [
        (Direction.IN, "dang ky khai sinh", None),
        (Direction.OUT, "Đăng ký khai sinh", None),
        (Direction.IN, None, "cl:1.001193"),
    ]
    assert history[1].buttons == buttons
    assert history[2].at == clock.now()


async def test_history_limit_keeps_the_latest(database: Database, clock: ManualClock) -> None:
    async with database.transaction() as session:
        log = SqlMessageLog(session)
        for n in range(5):
            await log.record_replies(REF, [Reply(f"m{n}")], clock.now())
        history = await log.history(REF, limit=2)
    assert [m.text for m in history] == ["m3", "m4"]


async def _log_texts(database: Database, clock: ManualClock, *texts: str) -> None:
    async with database.transaction() as session:
        log = SqlMessageLog(session)
        for text in texts:
            await log.record_incoming(IncomingMessage(REF, text=text), clock.now())


async def _texts(database: Database, ref: ConversationRef = REF) -> list[str | None]:
    async with database.transaction() as session:
        return [m.text for m in await SqlMessageLog(session).history(ref)]


async def _log_at(url: str, at: datetime, text: str) -> None:
    async with Database(url) as database, database.transaction() as session:
        await SqlMessageLog(session).record_incoming(IncomingMessage(REF, text=text), at)


async def _stored_texts(url: str) -> list[str | None]:
    async with Database(url) as database:
        return await _texts(database)


def test_db_purge_command_deletes_what_is_past_the_setting(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The command reads the real clock, so the rows are placed around the real time.
    now = datetime.now(UTC)
    for days, text in ((40, "forty days ago"), (31, "a month ago"), (29, "last month")):
        asyncio.run(_log_at(database_url, now - timedelta(days=days), text))
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)
    monkeypatch.setenv("MOTCUA_MESSAGE_LOG_DAYS", "30")

    assert main(["db", "purge"]) == 0
    assert (
        "deleted 2 logged messages older than 30 days and 0 other rows" in capsys.readouterr().out
    )
    assert asyncio.run(_stored_texts(database_url)) == ["last month"]


@pytest.mark.parametrize("setting", ["MOTCUA_MESSAGE_LOG_DAYS", "MOTCUA_RETENTION_DAYS"])
@pytest.mark.parametrize("days", ["0", "-3", "ninety", "1.5", "99999999999"])
def test_db_purge_refuses_a_meaningless_retention_period(
    tmp_path: Path,
    setting: str,
    days: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MOTCUA_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/db.sqlite3")
    monkeypatch.setenv(setting, days)

    assert main(["db", "purge"]) == 2
    assert setting in capsys.readouterr().err
    assert not (tmp_path / "db.sqlite3").exists()
