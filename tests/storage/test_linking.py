"""One citizen on two apps, through the real dispatcher, dialogs and catalogs, on each database.

A checklist started on Zalo continues on Telegram at the same item once a one-time code got on
Zalo is typed on Telegram; codes work once, expire and lock guessers out; nothing a user sends
can pass for the dispatcher's own answers; the code never reaches the message log.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import AbstractAsyncContextManager

import pytest
from sqlalchemy import select
from support.clock import ManualClock

from bot import i18n
from bot.dispatcher import HIDDEN_CODE, Dispatcher
from bot.locks import LocalLocks
from bot.storage.codes import MAX_FAILURES
from bot.storage.database import Database
from bot.storage.identity import CODE_TTL, SqlIdentities
from bot.storage.reminders import SqlReminders
from bot.storage.tables import MessageLogRow, PersonConversationRow
from dialogs.messages import Button, ConversationRef, IncomingMessage, Reply
from dialogs.step import DialogDeps
from knowledge.base import LocalKnowledgeBase

ZALO = ConversationRef("zalo", "u1")
TELEGRAM = ConversationRef("telegram", "t1")
MESSENGER = ConversationRef("messenger", "m1")
BIRTH = "1.001193"
MARRIAGE = "1.000894"
CODE = re.compile(r"Mã: (\d{3}) (\d{3}) — dùng trong 10 phút, chỉ một lần\.")


@pytest.fixture
def dispatcher(database: Database, clock: ManualClock, knowledge: LocalKnowledgeBase) -> Dispatcher:
    deps = DialogDeps(knowledge=knowledge, clock=clock, translator=i18n.translator)
    return Dispatcher(database, deps)


class RecordingLocks:
    """In-process locks that note every key a turn asks for."""

    def __init__(self) -> None:
        self.locks = LocalLocks()
        self.keys: list[str] = []

    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        self.keys.append(key)
        return self.locks.hold(key)


class Citizen:
    """One app of a citizen, talking to the dispatcher the way a channel does."""

    def __init__(self, dispatcher: Dispatcher, ref: ConversationRef) -> None:
        self.dispatcher = dispatcher
        self.ref = ref
        self.replies: list[Reply] = []

    @property
    def text(self) -> str:
        return "\n".join(reply.text for reply in self.replies)

    @property
    def buttons(self) -> list[Button]:
        return [button for reply in self.replies for button in reply.buttons]

    async def say(self, text: str) -> Citizen:
        return await self._turn(IncomingMessage(self.ref, text=text, locale="vi"))

    async def payload(self, payload: str) -> Citizen:
        return await self._turn(IncomingMessage(self.ref, payload=payload, locale="vi"))

    async def tap(self, label: str) -> Citizen:
        [button] = [b for b in self.buttons if b.label == label]
        assert button.payload is not None
        return await self.payload(button.payload)

    def expect(self, *fragments: str) -> Citizen:
        for fragment in fragments:
            assert fragment in self.text, f"{fragment!r} not in:\n{self.text}"
        return self

    def code(self) -> str:
        found = CODE.search(self.text)
        assert found, self.text
        return found.group(1) + found.group(2)

    async def _turn(self, message: IncomingMessage) -> Citizen:
        self.replies = await self.dispatcher.handle(message)
        assert self.replies
        return self


async def start_birth_checklist(citizen: Citizen) -> Citizen:
    await citizen.payload(f"proc:{BIRTH}")
    await citizen.tap("Xem giấy tờ cần chuẩn bị")
    await citizen.tap("Thông thường, không thuộc trường hợp nào")
    return citizen.expect("Giấy tờ 1/")


async def get_code(citizen: Citizen) -> str:
    await citizen.say("liên kết")
    await citizen.tap("Lấy mã liên kết")
    return citizen.code()


async def enter_code(citizen: Citizen, code: str) -> Citizen:
    await citizen.say("/link")
    await citizen.tap("Nhập mã")
    return await citizen.say(f"{code[:3]} {code[3:]}")


async def test_a_checklist_started_on_zalo_continues_on_telegram_at_the_same_item(
    dispatcher: Dispatcher, database: Database, clock: ManualClock
) -> None:
    zalo, telegram = Citizen(dispatcher, ZALO), Citizen(dispatcher, TELEGRAM)
    await start_birth_checklist(zalo)
    (await zalo.tap("Có rồi")).expect("Giấy tờ 2/")
    item_two = zalo.text
    [have_it] = [b.payload for b in zalo.buttons if b.label == "Có rồi"]
    assert have_it is not None
    # Telegram had started a checklist of its own: it is kept too.
    await telegram.payload(f"proc:{MARRIAGE}")
    await telegram.tap("Xem giấy tờ cần chuẩn bị")

    code = await get_code(zalo)
    clock.advance(CODE_TTL / 2)
    (await enter_code(telegram, code)).expect("Xong! Các ứng dụng của bạn đã được liên kết")
    await telegram.tap("Kiểm tra giấy tờ")
    labels = [b.label for b in telegram.buttons]
    assert "Đăng ký khai sinh (xong 1/6)" in labels and "Đăng ký kết hôn (xong 0/4)" in labels
    (await telegram.tap("Đăng ký khai sinh (xong 1/6)")).expect("Chào mừng bạn quay lại!")
    assert telegram.text.endswith(item_two.split("\n\n", 1)[-1])  # the very same document

    # Both apps now write one state: Zalo's old button is out of date, its menu is current.
    (await telegram.tap("Có rồi")).expect("Giấy tờ 3/")
    (await zalo.payload(have_it)).expect("Nút này đã cũ")
    await zalo.tap("Kiểm tra giấy tờ")
    (await zalo.tap("Đăng ký khai sinh (xong 2/6)")).expect("Giấy tờ 3/")

    async with database.transaction() as session:
        identities = SqlIdentities(session)
        person = await identities.person_of(ZALO)
        assert person is not None and await identities.person_of(TELEGRAM) == person
        logged = (await session.scalars(select(MessageLogRow.text))).all()
    assert not any(code in text or code[:3] + " " + code[3:] in text for text in logged if text)
    assert sum(HIDDEN_CODE in text for text in logged if text) == 2  # shown once, typed once


async def test_a_code_works_once_and_expires(dispatcher: Dispatcher, clock: ManualClock) -> None:
    zalo = Citizen(dispatcher, ZALO)
    code = await get_code(zalo)
    (await enter_code(Citizen(dispatcher, TELEGRAM), code)).expect("Xong!")
    used = await enter_code(Citizen(dispatcher, MESSENGER), code)
    used.expect("Mã này không dùng được: có thể gõ nhầm, đã hết hạn hoặc đã được dùng.")

    late = await get_code(zalo)
    clock.advance(CODE_TTL)
    (await enter_code(used, late)).expect("Mã này không dùng được")
    assert await _person(dispatcher, MESSENGER) is None


async def test_guessing_is_locked_out_even_with_the_right_code_at_last(
    dispatcher: Dispatcher,
) -> None:
    code = await get_code(Citizen(dispatcher, ZALO))
    guesser = Citizen(dispatcher, TELEGRAM)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    await enter_code(guesser, wrong)
    for _ in range(MAX_FAILURES - 1):
        (await guesser.say(wrong)).expect("Mã này không dùng được")
    (await guesser.say(code)).expect("Đã gõ sai mã quá nhiều lần", "thử lại sau")
    assert await _person(dispatcher, TELEGRAM) is None


@pytest.mark.parametrize("payload", ["lk:res:linked", "lk:code:123456:10"])
async def test_an_internal_payload_from_a_user_is_refused(
    dispatcher: Dispatcher, database: Database, payload: str
) -> None:
    zalo = Citizen(dispatcher, ZALO)
    await get_code(zalo)
    intruder = Citizen(dispatcher, TELEGRAM)
    await intruder.say("/link")
    (await intruder.payload(payload)).expect("Nút này đã cũ")
    assert await _person(dispatcher, TELEGRAM) is None
    async with database.transaction() as session:
        assert len((await session.scalars(select(PersonConversationRow))).all()) == 1


async def test_reminders_come_on_the_app_they_were_asked_on_and_resume_on_any(
    dispatcher: Dispatcher, database: Database, clock: ManualClock
) -> None:
    zalo, telegram = Citizen(dispatcher, ZALO), Citizen(dispatcher, TELEGRAM)
    await enter_code(telegram, await get_code(zalo))
    await start_birth_checklist(telegram)
    await telegram.tap("Có rồi")
    await telegram.tap("Tạm dừng")
    (await telegram.tap("Nhắc tôi ngày mai")).expect("25/11/2026")
    async with database.transaction() as session:
        reminders = SqlReminders(session)
        [reminder] = await reminders.for_conversation(TELEGRAM)
        assert await reminders.for_conversation(ZALO) == []

    async def keep(*_: object) -> None:
        return None

    clock.advance(CODE_TTL)
    telegram.replies = await dispatcher.handle_proactive(
        IncomingMessage(TELEGRAM, payload=reminder.payload), keep
    )
    telegram.expect("Nhắc việc: bạn đang chuẩn bị giấy tờ cho", "(đã xem xong 1/6)")
    [resume] = [b for b in telegram.buttons if b.label == "Làm tiếp"]
    assert resume.payload is not None
    (await zalo.payload(resume.payload)).expect("Chào mừng bạn quay lại!", "Giấy tờ 2/6")


async def test_two_apps_of_one_person_never_write_the_state_at_once(
    dispatcher: Dispatcher, database: Database
) -> None:
    zalo, telegram = Citizen(dispatcher, ZALO), Citizen(dispatcher, TELEGRAM)
    await enter_code(telegram, await get_code(zalo))
    async with database.transaction() as session:
        before = await session.scalar(select(PersonConversationRow.version))
    refs = [ZALO, TELEGRAM] * 5
    results = await asyncio.gather(
        *(
            dispatcher.handle(IncomingMessage(ref, text="menu", message_id=str(n)))
            for n, ref in enumerate(refs)
        )
    )
    assert all(replies for replies in results)
    async with database.transaction() as session:
        after = await session.scalar(select(PersonConversationRow.version))
    assert before is not None and after == before + len(refs)


async def _person(dispatcher: Dispatcher, ref: ConversationRef) -> int | None:
    async with dispatcher._database.transaction() as session:
        return await SqlIdentities(session).person_of(ref)


async def test_a_worker_that_knew_another_person_still_finds_the_right_conversation(
    database: Database, clock: ManualClock, knowledge: LocalKnowledgeBase
) -> None:
    deps = DialogDeps(knowledge=knowledge, clock=clock, translator=i18n.translator)
    locks = RecordingLocks()
    first, second = Dispatcher(database, deps, locks=locks), Dispatcher(database, deps)
    telegram = Citizen(first, TELEGRAM)
    await enter_code(telegram, await get_code(Citizen(first, ZALO)))
    await telegram.say("menu")  # the first worker now knows Telegram's person
    # Meanwhile, through the second worker, Telegram is linked to the Messenger user instead.
    messenger = Citizen(second, MESSENGER)
    await start_birth_checklist(messenger)
    await enter_code(Citizen(second, TELEGRAM), await get_code(messenger))

    locks.keys.clear()
    await telegram.say("menu")
    old, new = await _person(first, ZALO), await _person(first, MESSENGER)
    assert locks.keys == [f"person:{old}", f"person:{new}"]  # found out under the lock, re-run
    await telegram.tap("Kiểm tra giấy tờ")
    assert [b.label for b in telegram.buttons] == ["Đăng ký khai sinh (xong 0/6)", "Menu"]
