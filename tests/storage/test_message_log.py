"""The message log keeps a conversation readable again, buttons included."""

from __future__ import annotations

from datetime import timedelta

from bot.storage.database import Database
from bot.storage.message_log import Direction, SqlMessageLog
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from storage.databases import FakeClock

REF = ConversationRef("web", "anon-1")


async def test_history_is_oldest_first_with_buttons(database: Database, clock: FakeClock) -> None:
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


async def test_history_limit_keeps_the_latest(database: Database, clock: FakeClock) -> None:
    async with database.transaction() as session:
        log = SqlMessageLog(session)
        for n in range(5):
            await log.record_replies(REF, [Reply(f"m{n}")], clock.now())
        history = await log.history(REF, limit=2)
    assert [m.text for m in history] == ["m3", "m4"]
