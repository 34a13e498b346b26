"""The knowledge base the bot runs on: the shipped procedures in memory, with their search index."""

from __future__ import annotations

import ctypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from knowledge.cache import cached_index
from knowledge.model import Procedure
from knowledge.questions import Answer, AnswerKind, Questions, route
from knowledge.results import SearchHit, SearchResult
from knowledge.search import Lexicon, SearchIndex
from knowledge.store import default_path, load_knowledge_base
from knowledge.taught import Lesson, TaughtPhrases


@dataclass(frozen=True, slots=True)
class _Contents:
    """The procedures and their index, swapped as one so a reader never sees half of each."""

    index: SearchIndex
    by_code: Mapping[str, Procedure]

    @classmethod
    def of(
        cls, procedures: Iterable[Procedure] | SearchIndex, lexicon: Lexicon | None
    ) -> _Contents:
        if isinstance(procedures, SearchIndex):
            index = procedures
        else:
            index = SearchIndex(tuple(procedures), lexicon)
        contents = cls(index, {p.code: p for p in index.procedures})
        _return_freed_memory()
        return contents


class LocalKnowledgeBase:
    """Implements the ``KnowledgeBase`` port (dialogs/ports.py).

    ``LocalKnowledgeBase.load()`` reads the shipped file; ``LocalKnowledgeBase(procedures)``
    indexes any sequence of procedures (tests build small ones this way), or takes an index
    already built of them (``knowledge.cache``).
    """

    def __init__(
        self,
        procedures: Iterable[Procedure] | SearchIndex,
        lexicon: Lexicon | None = None,
        questions: Questions | None = None,
    ) -> None:
        self._lexicon = lexicon
        self._contents = _Contents.of(procedures, lexicon)
        self._questions = questions or Questions.load()
        self._taught = TaughtPhrases()

    @classmethod
    def load(cls, path: str | Path | None = None, cache: Path | None = None) -> LocalKnowledgeBase:
        """The knowledge base in ``path`` (the shipped ``knowledge/data/kb.json.gz`` by default).

        With a ``cache`` folder, its index is read from there when an earlier start built it
        from the same file and code, and kept there otherwise (``knowledge.cache``).
        """
        if cache is None:
            return cls(load_knowledge_base(path))
        return cls(cached_index(Path(path) if path is not None else default_path(), cache))

    def __len__(self) -> int:
        return len(self._contents.by_code)

    def get(self, code: str) -> Procedure | None:
        """The procedure with this national code, or None."""
        return self._contents.by_code.get(code.strip())

    @property
    def procedures(self) -> tuple[Procedure, ...]:
        """Every procedure, in index order."""
        return self._contents.index.procedures

    def replace(self, procedures: Iterable[Procedure]) -> None:
        """Serve these procedures from now on (a new import staff put in force).

        The new index is built before it replaces the old one in a single assignment, so this
        may run in a thread while the event loop goes on answering from the old one.
        """
        self._contents = _Contents.of(procedures, self._lexicon)

    def teach(self, lessons: Iterable[Lesson]) -> None:
        """Put these phrasings staff taught in force, replacing the previous set at once.

        A lesson naming a procedure this knowledge base does not hold is left out.
        """
        self._taught = TaughtPhrases(
            lesson
            for lesson in lessons
            if lesson.code is None or lesson.code in self._contents.by_code
        )

    def search(
        self, query: str, locale: str = "vi", limit: int = 5, story: str | None = None
    ) -> SearchResult:
        """Rank procedures for a citizen's query; ``match`` is None when nothing fits.

        A phrasing staff linked to a procedure finds that procedure first, the search's own
        ranking following it. ``story`` is the letter a question was asked in, which may tell
        part of the situation it asks about (who died, whose allowance).
        """
        contents = self._contents
        result = contents.index.search(query, locale=locale, limit=limit, story=story)
        lesson = self._taught.find(query)
        taught = (
            None if lesson is None or lesson.code is None else contents.by_code.get(lesson.code)
        )
        if taught is None:  # no lesson, or one for a procedure a new import removed
            return result
        others = [result.match, *result.alternatives, *result.candidates]
        return SearchResult(
            query=query,
            match=SearchHit(taught.code, taught.name, 1.0),
            alternatives=tuple(
                replace(hit, variant=False)
                for hit in others
                if hit is not None and hit.code != taught.code
            )[: max(limit - 1, 0)],
        )

    def matched_terms(self, query: str, code: str, locale: str = "vi") -> tuple[str, ...]:
        """Why the procedure ``code`` fits ``query``: the query's words its name has, or
        ``("taught",)`` when staff linked this phrasing to it."""
        lesson = self._taught.find(query)
        if lesson is not None and lesson.code == code:
            return ("taught",)
        return self._contents.index.matched_terms(query, code, locale)

    def answer(self, query: str, locale: str = "vi", limit: int = 5) -> Answer:
        """What reply the question gets: staff's reply when they marked it out of scope, else
        portal help, the law, a procedure, guesses or nothing."""
        lesson = self._taught.find(query)
        if lesson is not None and lesson.reply is not None:
            return Answer(AnswerKind.DECLINED, SearchResult(query, None), reply=lesson.reply)
        if lesson is not None:
            result = self.search(query, locale, limit)
            return Answer(AnswerKind.PROCEDURE, result)
        return route(self._questions, self.search, query, locale, limit)


def _return_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's ``malloc_trim``).

    Reading and indexing thousands of procedures allocates and frees tens of megabytes; glibc
    keeps freed pages mapped, so a worker's resident size would carry about 5 MB of them for
    good. Where the C library has no such call (musl, macOS) nothing happens.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
