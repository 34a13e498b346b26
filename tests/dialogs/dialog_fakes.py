"""A fake search over a few real procedures (abridged from the national portal), and a clock.

The fake search is deliberately simple: a table of accent-free keywords per query intent, so a
transcript says exactly which procedures a question finds.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from support.clock import ManualClock
from support.procedures import BIRTH as PLAIN_BIRTH
from support.procedures import PROCEDURES

from knowledge.model import Procedure
from knowledge.questions import Answer, Questions, route
from knowledge.results import SearchHit, SearchResult
from knowledge.text import fold

__all__ = ["BIRTH", "FakeClock", "FakeKnowledgeBase"]

# Birth registration with its two special cases marked as the importer marks them; the
# channel tests walk the plain list, these transcripts the case-first checklist.
BIRTH = replace(
    PLAIN_BIRTH,
    documents=(
        PLAIN_BIRTH.documents[0],
        *(replace(group, case=True) for group in PLAIN_BIRTH.documents[1:]),
    ),
)


@dataclass(frozen=True)
class Intent:
    """Queries containing all ``words`` find ``match``, then ``variants`` and ``others``.

    An ``unsure`` intent finds no match: ``match`` and ``others`` are only close guesses.
    """

    words: tuple[str, ...]
    match: str
    variants: tuple[str, ...] = ()
    others: tuple[str, ...] = ()
    unsure: bool = False


INTENTS = (
    Intent(("khai sinh", "nuoc ngoai"), "2.000528"),
    Intent(("khai sinh",), "1.001193", variants=("2.000528", "1.004884")),
    Intent(("birth",), "1.001193", variants=("2.000528", "1.004884")),
    Intent(("can cuoc",), "1.014063"),
    Intent(("cccd",), "1.014063"),
    Intent(("ket hon",), "1.000894", others=("1.001193",)),
    Intent(("vneid",), "3.000228"),
    Intent(("doc than",), "1.004873"),
    Intent(("that nghiep",), "1.014748"),
    Intent(("giay to cho con",), "1.001193", others=("1.014748",), unsure=True),
)


_QUESTIONS = Questions.load()
RUNNER_UP = 0.8
"""A runner-up's score beside the match's 1.0: clear of the near tie that would make the match a
"did you mean" (``NEAR_TIE``), as a real search's runners-up mostly are."""


@dataclass
class FakeKnowledgeBase:
    """``KnowledgeBase`` over the procedures above; records every query it is asked."""

    procedures: dict[str, Procedure] = field(
        default_factory=lambda: {p.code: p for p in (*PROCEDURES, BIRTH)}
    )
    queries: list[str] = field(default_factory=list)

    def get(self, code: str) -> Procedure | None:
        return self.procedures.get(code)

    def search(self, query: str, locale: str = "vi", limit: int = 5) -> SearchResult:
        self.queries.append(query)
        folded = fold(query)
        for intent in INTENTS:
            if all(word in folded for word in intent.words) and intent.unsure:
                guesses = (intent.match, *intent.others)
                return SearchResult(
                    query, None, candidates=tuple(self._hit(c, False) for c in guesses)
                )
            if all(word in folded for word in intent.words):
                return SearchResult(
                    query,
                    self._hit(intent.match, False),
                    tuple(self._hit(c, True, RUNNER_UP) for c in intent.variants)
                    + tuple(self._hit(c, False, RUNNER_UP) for c in intent.others),
                )
        return SearchResult(query, None)

    def answer(self, query: str, locale: str = "vi", limit: int = 5) -> Answer:
        """The real routing over the real curated questions, with this fake search."""
        return route(_QUESTIONS, self.search, query, locale, limit)

    def _hit(self, code: str, variant: bool, score: float = 1.0) -> SearchHit:
        known = self.procedures.get(code)
        return SearchHit(code, known.name if known else code, score, variant=variant)


class FakeClock(ManualClock):
    """The manual clock, starting at 9:30 on a weekday, inside office hours."""

    def __init__(self) -> None:
        super().__init__(datetime(2026, 11, 24, 9, 30, tzinfo=UTC))
