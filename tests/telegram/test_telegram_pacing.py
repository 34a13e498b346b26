"""Sends into one chat are paced to Telegram's per-chat flood limit without slowing other chats.

The fake server enforces a per-chat limit here. It allows one message more than the bot's own
burst at the same rate, so that the few milliseconds a request takes to reach it after the bot
let it go never decide the outcome; six messages at once would still overrun it. The rate is
fast so the tests stay quick; only the order of what arrived is asserted, never how long it took.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from fakes.telegram import TOKEN, ChatLimit, FakeTelegram
from telegram_support import LONG_TEXT, LONGER_TEXT, ScriptedHandler

from dialogs.messages import ConversationRef, Reply
from integrations.ordering import MemoryInbox
from integrations.telegram import ChatPace, TelegramChannel

RATE = 4.0  # messages a second per chat, on both sides
BOT_PACE = ChatPace(burst=3, per_second=RATE)
SERVER_LIMIT = ChatLimit(burst=4, per_second=RATE)


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(chat_limit=SERVER_LIMIT) as server:
        yield server


@pytest.fixture
async def paced(telegram: FakeTelegram, handler: ScriptedHandler) -> AsyncIterator[TelegramChannel]:
    channel = TelegramChannel(
        TOKEN, MemoryInbox(handler), api_url=telegram.url, poll_timeout=1, chat_pace=BOT_PACE
    )
    async with channel:
        yield channel


async def test_a_six_part_answer_arrives_whole_in_order_without_a_flood_reply(
    paced: TelegramChannel, telegram: FakeTelegram, handler: ScriptedHandler
) -> None:
    an, binh = telegram.user(5_550_001), telegram.user(5_550_002, "Bình")
    gate = handler.gates["dai"] = asyncio.Event()
    an.send("rat dai")
    binh.send("dai")  # a three-part answer: a whole burst of Bình's own
    # Bình's answer is held until An's burst is spent and the rest of An's answer is paced.
    await telegram.wait_for(lambda: len(an.messages) == BOT_PACE.burst)
    gate.set()
    await telegram.wait_for(lambda: len(an.messages) == 6 and len(binh.messages) == 3)

    texts = [m.text for m in an.messages]
    assert " ".join(texts).split() == LONGER_TEXT.split()  # complete and in order
    assert all(t.startswith("Mục") for t in texts)
    assert telegram.flooded == []  # the server never had to refuse a message
    assert len(telegram.calls_of("sendMessage")) == 9  # so nothing was sent twice
    # All of Bình's answer went out at once, ahead of An's next paced message: had the chats
    # shared one allowance, Bình's parts would have taken turns with An's.
    assert " ".join(m.text for m in binh.messages).split() == LONG_TEXT.split()
    assert [m.chat_id for m in telegram.sent] == [an.id] * 3 + [binh.id] * 3 + [an.id] * 3


async def test_a_proactive_burst_to_one_citizen_does_not_hold_up_another(
    paced: TelegramChannel, telegram: FakeTelegram
) -> None:
    an, binh = telegram.user(5_550_001), telegram.user(5_550_002, "Bình")
    reminders = [Reply(f"Nhắc việc {i}") for i in range(1, 7)]
    burst = asyncio.create_task(paced.send(ConversationRef("telegram", str(an.id)), reminders))
    await telegram.wait_for(lambda: len(an.messages) == BOT_PACE.burst)
    await paced.send(ConversationRef("telegram", str(binh.id)), reminders[:3])
    await burst

    assert [m.text for m in an.messages] == [r.text for r in reminders]
    assert telegram.flooded == []
    # Bình's burst did not take turns with An's paced reminders.
    assert [m.text for m in binh.messages] == [r.text for r in reminders[:3]]
    assert [m.chat_id for m in telegram.sent] == [an.id] * 3 + [binh.id] * 3 + [an.id] * 3


def test_a_pace_needs_a_burst_and_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="positive rate"):
        ChatPace(burst=3, per_second=0)
    with pytest.raises(ValueError, match="burst of at least 1"):
        ChatPace(burst=0, per_second=1)
