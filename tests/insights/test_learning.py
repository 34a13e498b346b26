"""What staff learn, end to end through the dispatcher and the real dialogs: an unanswered
question is kept and grouped, staff link it to a procedure (or decline it with a reply), and
the next citizen who asks gets that answer; ratings are kept; the words expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from support.clock import ManualClock
from support.procedures import MARRIAGE, PROCEDURES

from bot import i18n, personal_data
from bot.dispatcher import Dispatcher
from bot.insights import store
from bot.insights.lessons import LessonBook
from bot.personal_data import Retention
from bot.storage.database import Database
from bot.storage.tables import MilestoneRow, QuestionRow, RatingRow, UnansweredRow
from dialogs.messages import ConversationRef, IncomingMessage, Reply
from dialogs.step import DialogDeps
from knowledge.base import LocalKnowledgeBase

AN = ConversationRef("telegram", "111222333")
BINH = ConversationRef("web", "b-web-identity")
UNKNOWN = "thủ tục cho chó mèo đi tiêm phòng"


def _setup(database: Database, clock: ManualClock) -> tuple[Dispatcher, LessonBook]:
    knowledge = LocalKnowledgeBase(PROCEDURES)
    deps = DialogDeps(knowledge=knowledge, clock=clock, translator=i18n.translator)
    return Dispatcher(database, deps), LessonBook(database, knowledge)


def _said(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


async def test_a_linked_question_is_answered_the_next_time(
    database: Database, clock: ManualClock
) -> None:
    dispatcher, book = _setup(database, clock)
    first = await dispatcher.handle(IncomingMessage(AN, text=UNKNOWN, locale="vi"))
    assert MARRIAGE.name not in _said(first)
    await dispatcher.handle(IncomingMessage(BINH, text="thu tuc cho cho meo tiem phong"))
    await dispatcher.handle(IncomingMessage(BINH, text="đăng ký kết hôn"))  # answered

    async with database.transaction() as session:
        [group] = await store.review_queue(session)
        assert group.phrase == "thu tuc cho cho meo tiem phong" and len(group.questions) == 2
        assert {q.channel for q in group.questions} == {"telegram", "web"}
        await store.teach(
            session,
            group.phrase,
            procedure=MARRIAGE.code,
            reply=None,
            by="staff@example.vn",
            now=clock.now(),
            questions=group.ids,
        )
    await book.refresh()

    again = await dispatcher.handle(IncomingMessage(AN, text="Thủ tục cho chó, mèo tiêm phòng"))
    assert MARRIAGE.name in _said(again)
    async with database.transaction() as session:
        assert await store.review_queue(session) == []
        outcomes = (
            await session.scalars(select(QuestionRow.outcome).order_by(QuestionRow.id))
        ).all()
    assert list(outcomes) == ["none", "none", "answered", "answered"]


async def test_a_declined_question_gets_the_staff_reply(
    database: Database, clock: ManualClock
) -> None:
    dispatcher, book = _setup(database, clock)
    await dispatcher.handle(IncomingMessage(AN, text="xin visa đi Mỹ", locale="vi"))
    reply = "Thị thực do Đại sứ quán cấp; xã không làm thủ tục này."
    async with database.transaction() as session:
        [group] = await store.review_queue(session)
        await store.teach(
            session,
            group.phrase,
            procedure=None,
            reply=reply,
            by=None,
            now=clock.now(),
            questions=group.ids,
        )
    await book.refresh()
    assert reply in _said(await dispatcher.handle(IncomingMessage(BINH, text="xin visa di my")))


async def test_a_rating_and_its_comment_are_one_row_and_the_words_expire(
    database: Database, clock: ManualClock
) -> None:
    dispatcher, _book = _setup(database, clock)
    await dispatcher.handle(IncomingMessage(AN, text="đăng ký kết hôn", locale="vi"))
    await dispatcher.handle(IncomingMessage(AN, payload=f"cl:go:{MARRIAGE.code}"))
    for _ in range(sum(len(g.documents) for g in MARRIAGE.documents) + 1):
        replies = await dispatcher.handle(IncomingMessage(AN, text="1"))  # "Có rồi"
        if "Thông tin này có giúp ích" in _said(replies):
            break
    else:
        raise AssertionError("the finished checklist asked for no rating")
    await dispatcher.handle(IncomingMessage(AN, text="1"))  # "👍 Có ích"
    await dispatcher.handle(IncomingMessage(AN, text="Dễ hiểu"))
    await dispatcher.handle(IncomingMessage(AN, text="con chó bị lạc"))
    async with database.transaction() as session:
        [rating] = (await session.scalars(select(RatingRow))).all()
        assert (rating.good, rating.comment, rating.procedure) == (True, "Dễ hiểu", MARRIAGE.code)
        kinds = (await session.scalars(select(MilestoneRow.kind))).all()
        assert sorted(kinds) == ["checklist_done", "checklist_opened"]

    clock.advance(timedelta(days=91))
    removed = await personal_data.purge(
        database, clock.now(), Retention(timedelta(days=365), timedelta(days=90))
    )
    assert removed["unanswered"] == 1 and removed["ratings"] == 0
    async with database.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(UnansweredRow)) == 0
        assert await session.scalar(select(func.count()).select_from(QuestionRow)) == 2
