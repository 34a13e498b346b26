"""What staff learn from, in the database: questions and how they went, the unanswered ones
grouped for review, the phrasings staff taught, ratings and the checklist funnel's steps.

Nothing here names a citizen: rows keep the channel, the commune when known and the time;
an unanswered question keeps its words (staff need the phrasing), a rating its comment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz import fuzz, process
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.direct import Direct
from bot.storage.sql import dialect_insert, table
from bot.storage.tables import (
    LessonRow,
    MilestoneRow,
    QuestionRow,
    RatingRow,
    UnansweredRow,
)
from dialogs.step import UNANSWERED, NoteMilestone, NoteQuestion, RateHelp
from knowledge.taught import Lesson, question_key

SAME_GROUP = 80.0
"""rapidfuzz ``token_sort_ratio`` from which two unanswered questions go in one group: the same
question retyped ("thủ tục cho chó mèo đi tiêm phòng", "thu tuc cho cho meo tiem phong"), in
another word order or with a typo; "giấy phép nuôi ong" and "giấy phép nuôi cá sấu" stay apart
(72), which a looser token-set score (88) would have joined."""

REVIEW_WINDOW = 5000
"""The newest unreviewed questions grouped for the queue; older ones wait their turn."""

Insight = NoteQuestion | NoteMilestone | RateHelp

_NOTED = ("at", "channel", "commune", "outcome", "procedure")
_QUESTION = Direct(insert(table(QuestionRow)), keys=_NOTED)
_UNANSWERED = Direct(insert(table(UnansweredRow)), keys=(*_NOTED, "text", "key"))
_MILESTONE = Direct(
    insert(table(MilestoneRow)), keys=("at", "channel", "commune", "kind", "procedure")
)
"""The INSERTs of what turns note, built once and run on the driver's connection: nearly every
turn runs one."""


async def record(
    session: AsyncSession, insight: Insight, channel: str, commune: str | None, now: datetime
) -> None:
    """Keep what a turn noted for staff, in the turn's own transaction."""
    if isinstance(insight, NoteQuestion):
        noted = {
            "at": now,
            "channel": channel,
            "commune": commune,
            "outcome": insight.outcome,
            "procedure": insight.procedure,
        }
        await _QUESTION.execute(session, noted)
        if insight.outcome in UNANSWERED and insight.text and (key := question_key(insight.text)):
            await _UNANSWERED.execute(session, {**noted, "text": insight.text, "key": key})
    elif isinstance(insight, NoteMilestone):
        await _MILESTONE.execute(
            session,
            {
                "at": now,
                "channel": channel,
                "commune": commune,
                "kind": insight.kind,
                "procedure": insight.procedure,
            },
        )
    else:
        values = {
            "key": insight.key,
            "at": now,
            "channel": channel,
            "commune": commune,
            "subject": insight.subject,
            "procedure": insight.procedure,
            "good": insight.good,
            "comment": insight.comment,
        }
        statement = dialect_insert(session, RatingRow).values(**values)
        if insight.comment is not None:
            statement = statement.on_conflict_do_update(
                index_elements=["key"], set_={"comment": insight.comment}
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=["key"])
        await session.execute(statement)


@dataclass(frozen=True, slots=True)
class Asked:
    """One unanswered question in the review queue."""

    id: int
    at: datetime
    channel: str
    commune: str | None
    outcome: str
    text: str


@dataclass(frozen=True, slots=True)
class Group:
    """Unanswered questions that say the same thing, newest first; the first names the group."""

    questions: tuple[Asked, ...]

    @property
    def ids(self) -> list[int]:
        """The ids of its questions."""
        return [q.id for q in self.questions]

    @property
    def phrase(self) -> str:
        """The wording staff see and teach: the group's newest question."""
        return self.questions[0].text

    @property
    def communes(self) -> list[str]:
        """The communes its questions came from."""
        return sorted({q.commune for q in self.questions if q.commune})


def group(questions: Sequence[tuple[Asked, str]]) -> list[Group]:
    """Group questions (with their keys) by similarity, largest group first.

    Each question joins the first group whose founding key it is close to (``SAME_GROUP``),
    else founds one; questions come newest first, so a group is named by its newest wording.
    """
    founders: list[str] = []
    members: list[list[Asked]] = []
    for asked, key in questions:
        found = process.extractOne(
            key, founders, scorer=fuzz.token_sort_ratio, score_cutoff=SAME_GROUP
        )
        if found is None:
            founders.append(key)
            members.append([asked])
        else:
            members[found[2]].append(asked)
    groups = [Group(tuple(m)) for m in members]
    return sorted(groups, key=lambda g: -len(g.questions))


async def review_queue(session: AsyncSession, communes: Iterable[str] | None = None) -> list[Group]:
    """The unreviewed unanswered questions, grouped; only ``communes``' when given (a question
    whose commune is unknown is for those who see every commune, as other records are)."""
    query = (
        select(UnansweredRow)
        .where(UnansweredRow.reviewed_at.is_(None))
        .order_by(UnansweredRow.at.desc(), UnansweredRow.id.desc())
        .limit(REVIEW_WINDOW)
    )
    if communes is not None:
        query = query.where(UnansweredRow.commune.in_(list(communes)))
    rows = (await session.scalars(query)).all()
    return group(
        [(Asked(r.id, r.at, r.channel, r.commune, r.outcome, r.text), r.key) for r in rows]
    )


async def reviewable(
    session: AsyncSession, ids: Sequence[int], communes: Iterable[str] | None = None
) -> list[int]:
    """Those of ``ids`` that are still unreviewed and (when given) of ``communes``."""
    query = select(UnansweredRow.id).where(
        UnansweredRow.id.in_(list(ids)), UnansweredRow.reviewed_at.is_(None)
    )
    if communes is not None:
        query = query.where(UnansweredRow.commune.in_(list(communes)))
    return list((await session.scalars(query)).all())


async def teach(
    session: AsyncSession,
    phrase: str,
    *,
    procedure: str | None,
    reply: str | None,
    by: str | None,
    now: datetime,
    questions: Sequence[int] = (),
) -> int:
    """Keep a lesson (a phrasing means a procedure, or is out of scope with a reply) and mark
    the questions it answers reviewed; the same phrasing taught again replaces the old lesson.
    """
    key = question_key(phrase)
    values = {
        "key": key,
        "phrase": phrase,
        "procedure": procedure,
        "reply": reply,
        "created_at": now,
        "created_by": by,
    }
    statement = (
        dialect_insert(session, LessonRow)
        .values(**values)
        .on_conflict_do_update(
            index_elements=["key"],
            set_={k: v for k, v in values.items() if k != "key"},
        )
    )
    await session.execute(statement)
    lesson_id = (await session.scalars(select(LessonRow.id).where(LessonRow.key == key))).one()
    if questions:
        await session.execute(
            update(UnansweredRow)
            .where(UnansweredRow.id.in_(list(questions)))
            .values(reviewed_at=now, lesson_id=lesson_id)
        )
    return lesson_id


async def forget(session: AsyncSession, lesson_id: int) -> bool:
    """Remove a lesson; False when there was none."""
    row = await session.get(LessonRow, lesson_id)
    if row is None:
        return False
    await session.delete(row)
    return True


@dataclass(frozen=True, slots=True)
class TaughtLesson:
    """A lesson as staff see it in the console."""

    id: int
    phrase: str
    procedure: str | None
    reply: str | None
    created_at: datetime
    created_by: str | None


async def lessons(session: AsyncSession, procedure: str | None = None) -> list[TaughtLesson]:
    """Every lesson (or a procedure's), newest first."""
    query = select(LessonRow).order_by(LessonRow.created_at.desc(), LessonRow.id.desc())
    if procedure is not None:
        query = query.where(LessonRow.procedure == procedure)
    return [
        TaughtLesson(r.id, r.phrase, r.procedure, r.reply, r.created_at, r.created_by)
        for r in (await session.scalars(query)).all()
    ]


def in_force(taught: Iterable[TaughtLesson]) -> list[Lesson]:
    """The lessons as the knowledge base applies them."""
    return [Lesson(t.phrase, code=t.procedure, reply=t.reply) for t in taught]
