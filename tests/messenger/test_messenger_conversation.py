"""A whole Messenger conversation through the composed app: real dispatcher, dialogs and KB."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from fakes.messenger import FakeGraphApi
from messenger_support import USER, VERIFY_TOKEN, Citizen, messenger_env, running
from support.clock import ManualClock

from bot.storage.reminders import ReminderStatus, SqlReminders
from dialogs.errors import OutsideWindow
from dialogs.messages import ConversationRef, Reply
from knowledge.base import LocalKnowledgeBase

BIRTH = "1.001193"
REF = ConversationRef("messenger", USER)


@pytest.fixture
def env(tmp_path: Path, graph: FakeGraphApi) -> dict[str, str]:
    """The app's settings with Messenger pointed at the fake, on a SQLite file."""
    return messenger_env(tmp_path, graph)


@pytest.fixture
async def citizen(
    env: dict[str, str], graph: FakeGraphApi, clock: ManualClock, knowledge: LocalKnowledgeBase
) -> AsyncIterator[Citizen]:
    async with running(env, graph, clock, knowledge) as citizen:
        yield citizen


async def test_ask_then_walk_the_checklist(citizen: Citizen, graph: FakeGraphApi) -> None:
    assert await graph.verify_subscription(VERIFY_TOKEN, "424242") == (200, "424242")

    (choose,) = await citizen.say("dk khai sinh")
    assert f"proc:{BIRTH}" in choose.payloads
    assert all(len(title) <= 20 for title in choose.titles)

    card = await citizen.tap(f"proc:{BIRTH}")
    assert "Thủ tục đăng ký khai sinh" in card[0].text
    portal = [b for b in card[-1].template_buttons if b["type"] == "web_url"]
    assert portal and portal[0]["url"].startswith("https://dichvucong.gov.vn/")

    await citizen.tap(f"cl:go:{BIRTH}")
    (first,) = await citizen.tap(f"cl:case:{BIRTH}:u")
    assert "1/6" in first.text
    assert f"cl:have:{BIRTH}:0" in first.payloads

    (second,) = await citizen.tap(f"cl:have:{BIRTH}:0")
    assert "2/6" in second.text

    # An elderly user may answer with the option's number instead of tapping.
    (third,) = await citizen.say("2")
    assert "3/6" in third.text

    # Meta redelivers the same event: nothing is answered twice.
    again = graph.quick_reply(USER, "Có rồi", f"cl:have:{BIRTH}:2")
    assert len(await citizen._deliver(again, twice=True)) == 1
    assert "4/6" in graph.sent[-1].text

    assert {m.messaging_type for m in graph.messages_to(USER)} == {"RESPONSE"}
    assert graph.sent == graph.messages_to(USER)


async def test_the_window_survives_a_restart_of_the_app(
    env: dict[str, str], graph: FakeGraphApi, clock: ManualClock, knowledge: LocalKnowledgeBase
) -> None:
    async with running(env, graph, clock, knowledge) as citizen:
        await citizen.say("xin chao")
    clock.advance(timedelta(hours=20))

    async with running(env, graph, clock, knowledge) as citizen:
        await citizen.adapter.send(REF, [Reply("Nhắc lịch: mai bạn đi nộp hồ sơ khai sinh.")])
        clock.advance(timedelta(hours=5))
        with pytest.raises(OutsideWindow):
            await citizen.adapter.send(REF, [Reply("Nhắc lịch lần nữa")])

    assert graph.sent[-1].messaging_type == "UPDATE"
    assert graph.sent[-1].text.startswith("Nhắc lịch: mai")


async def test_a_reminder_due_after_the_window_closed_comes_with_the_next_answer(
    citizen: Citizen, graph: FakeGraphApi, clock: ManualClock
) -> None:
    await citizen.say("dk khai sinh")
    await citizen.tap(f"proc:{BIRTH}")
    await citizen.tap(f"cl:go:{BIRTH}")
    await citizen.tap(f"cl:case:{BIRTH}:u")
    await citizen.say("nhắc tôi sau 3 ngày")

    # Three days on, Meta's 24-hour window is closed: the reminder is kept, nothing is sent.
    clock.advance(timedelta(days=3))
    before = len(graph.sent)
    assert await citizen.app.reminders.run_once() == 0
    assert len(graph.sent) == before
    async with citizen.app.database.transaction() as session:
        (reminder,) = await SqlReminders(session).for_conversation(REF)
    assert reminder.status is ReminderStatus.HELD

    # The citizen writes again: the reminder comes first, then the answer, as a response.
    reminder_message, *answer = await citizen.say("xin chào")
    assert reminder_message.text.startswith("Nhắc")
    assert "khai sinh" in reminder_message.text
    assert answer and all(m.messaging_type == "RESPONSE" for m in (reminder_message, *answer))
    async with citizen.app.database.transaction() as session:
        (reminder,) = await SqlReminders(session).for_conversation(REF)
    assert reminder.status is ReminderStatus.DONE

    # Its resume button (a quick reply or a template button) still works; nothing is resent.
    (resume,) = [
        b
        for b in reminder_message.template_buttons + reminder_message.quick_replies
        if b.get("payload") == f"cl:go:{BIRTH}"
    ]
    tapped = (
        graph.quick_reply(USER, resume["title"], resume["payload"])
        if resume in reminder_message.quick_replies
        else graph.postback(USER, resume["title"], resume["payload"])
    )
    (step,) = await citizen._deliver(tapped)
    assert "1/6" in step.text
    assert await citizen.app.reminders.run_once() == 0
    assert graph.sent[before:] == [reminder_message, *answer, step]
