"""The figures staff see: questions by day and channel, most asked procedures, how questions
went, the checklist funnel, dossiers and their outcomes, ratings.

Every figure is counted in the database for one period and the communes a staff member may
see; rows whose commune is unknown count only for those who see every commune (admins).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from bot.handoffs import VIETNAM
from bot.storage.tables import DossierRow, HandoffRow, MilestoneRow, QuestionRow, RatingRow

MAX_DAYS = 366
"""The longest period one page shows: a year, day by day."""

TOP_PROCEDURES = 10


@dataclass(frozen=True, slots=True)
class Period:
    """The days ``first`` to ``last``, both included, as staff count days: in Vietnam time."""

    first: date
    last: date

    @property
    def start(self) -> datetime:
        """The first moment of the period."""
        return datetime.combine(self.first, time(), VIETNAM)

    @property
    def end(self) -> datetime:
        """The first moment after the period."""
        return datetime.combine(self.last + timedelta(days=1), time(), VIETNAM)

    @property
    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose rows count: the period, and the communes (None: every commune and unknown ones)."""

    period: Period
    communes: tuple[str, ...] | None = None

    def where(self, at: Any, commune: Any) -> ColumnElement[bool]:
        """The condition selecting a table's rows in this scope."""
        within = and_(at >= self.period.start, at < self.period.end)
        if self.communes is None:
            return within
        return and_(within, commune.in_(self.communes) if self.communes else ~true())


@dataclass
class Figures:
    """Everything the analytics page shows, for one scope."""

    days: list[date]
    per_day: dict[str, list[int]]
    """Questions per day, by channel."""
    outcomes: dict[str, int]
    procedures: list[tuple[str, int]]
    """The most asked procedures (their codes) and how often they were answered."""
    opened: int
    finished: int
    filed: int
    dossier_outcomes: dict[str, int]
    ratings: dict[str, tuple[int, int]]
    """Per subject (checklist, dossier): (helpful, not helpful)."""
    handed: int
    """Conversations handed to staff."""
    to_answer: timedelta | None
    """The median time from a citizen asking for a person to a staff member's first answer."""
    comments: list[tuple[datetime, str, bool, str]] = field(default_factory=list)
    """The newest comments: when, subject, helpful, words."""

    @property
    def questions(self) -> int:
        """Questions asked in the scope."""
        return sum(self.outcomes.values())


class vietnam_date(FunctionElement[date]):
    """The Vietnam calendar day of a stored UTC time, counted in the database.

    A question asked at 01:00 in Hà Nội is on the previous day in UTC; the day's chart must
    count it on the day staff and citizens lived it.
    """

    type = Date()
    inherit_cache = True


@compiles(vietnam_date, "sqlite")
def _sqlite_vietnam_date(element: vietnam_date, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps naive UTC text; Vietnam has kept UTC+7 without summer time since 1975.
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(vietnam_date, "postgresql")
def _postgresql_vietnam_date(element: vietnam_date, compiler: SQLCompiler, **kw: Any) -> str:
    return f"date(timezone('Asia/Ho_Chi_Minh', {compiler.process(element.clauses, **kw)}))"


def _day(value: Any) -> date:
    # PostgreSQL's date() gives a date, SQLite's a "YYYY-MM-DD" string.
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def figures(session: AsyncSession, scope: Scope, comments: int = 20) -> Figures:
    """Count every figure for ``scope``."""
    asked = scope.where(QuestionRow.at, QuestionRow.commune)
    day = vietnam_date(QuestionRow.at)
    per_day: dict[str, list[int]] = defaultdict(lambda: [0] * len(scope.period.days))
    index = {d: n for n, d in enumerate(scope.period.days)}
    for value, channel, count in await session.execute(
        select(day, QuestionRow.channel, func.count())
        .where(asked)
        .group_by(day, QuestionRow.channel)
    ):
        when = _day(value)
        if when in index:
            per_day[channel][index[when]] = count
    outcomes: dict[str, int] = {
        outcome: count
        for outcome, count in await session.execute(
            select(QuestionRow.outcome, func.count()).where(asked).group_by(QuestionRow.outcome)
        )
    }
    procedures = [
        (str(code), count)
        for code, count in await session.execute(
            select(QuestionRow.procedure, func.count())
            .where(asked, QuestionRow.procedure.is_not(None), QuestionRow.outcome == "answered")
            .group_by(QuestionRow.procedure)
            .order_by(func.count().desc(), QuestionRow.procedure)
            .limit(TOP_PROCEDURES)
        )
    ]
    steps: Counter[str] = Counter()
    for kind, count in await session.execute(
        select(MilestoneRow.kind, func.count())
        .where(scope.where(MilestoneRow.at, MilestoneRow.commune))
        .group_by(MilestoneRow.kind)
    ):
        steps[kind] = count
    filed_rows = scope.where(DossierRow.submitted_at, DossierRow.commune)
    dossier_outcomes = {
        status or "queued": count
        for status, count in await session.execute(
            select(DossierRow.status, func.count()).where(filed_rows).group_by(DossierRow.status)
        )
    }
    ratings: dict[str, tuple[int, int]] = {}
    rated = scope.where(RatingRow.at, RatingRow.commune)
    for subject, good, count in await session.execute(
        select(RatingRow.subject, RatingRow.good, func.count())
        .where(rated)
        .group_by(RatingRow.subject, RatingRow.good)
    ):
        helpful, not_helpful = ratings.get(subject, (0, 0))
        ratings[subject] = (
            (helpful + count, not_helpful) if good else (helpful, not_helpful + count)
        )
    handoffs = (
        await session.execute(
            select(HandoffRow.requested_at, HandoffRow.first_answer_at).where(
                scope.where(HandoffRow.requested_at, HandoffRow.commune)
            )
        )
    ).all()
    waits = [(done - asked).total_seconds() for asked, done in handoffs if done is not None]
    said = [
        (at, subject, good, str(comment))
        for at, subject, good, comment in await session.execute(
            select(RatingRow.at, RatingRow.subject, RatingRow.good, RatingRow.comment)
            .where(rated, RatingRow.comment.is_not(None))
            .order_by(RatingRow.at.desc())
            .limit(comments)
        )
    ]
    return Figures(
        days=scope.period.days,
        per_day=dict(per_day),
        outcomes=outcomes,
        procedures=procedures,
        opened=steps["checklist_opened"],
        finished=steps["checklist_done"],
        filed=sum(dossier_outcomes.values()),
        dossier_outcomes=dossier_outcomes,
        ratings=ratings,
        handed=len(handoffs),
        to_answer=timedelta(seconds=statistics.median(waits)) if waits else None,
        comments=said,
    )


def csv_rows(figures: Figures, names: dict[str, str]) -> Sequence[Sequence[Any]]:
    """The figures as CSV rows: (figure, key, value), one figure after another."""
    rows: list[Sequence[Any]] = [("figure", "key", "value")]
    for channel, counts in sorted(figures.per_day.items()):
        rows += [
            ("questions_per_day", f"{d.isoformat()} {channel}", n)
            for d, n in zip(figures.days, counts, strict=True)
        ]
    rows += [("outcome", outcome, n) for outcome, n in sorted(figures.outcomes.items())]
    rows.append(("handed_to_staff", "conversations", figures.handed))
    if figures.to_answer is not None:
        rows.append(("median_seconds_to_staff_answer", "", int(figures.to_answer.total_seconds())))
    rows += [
        ("most_asked", f"{code} {names.get(code, '')}".strip(), n) for code, n in figures.procedures
    ]
    rows += [
        ("funnel", "checklist_opened", figures.opened),
        ("funnel", "checklist_done", figures.finished),
        ("funnel", "dossier_filed", figures.filed),
    ]
    rows += [
        ("dossier_status", status, n) for status, n in sorted(figures.dossier_outcomes.items())
    ]
    for subject, (good, bad) in sorted(figures.ratings.items()):
        rows += [("rating", f"{subject} helpful", good), ("rating", f"{subject} not_helpful", bad)]
    return rows
