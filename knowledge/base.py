"""The knowledge base the bot runs on: the shipped procedures in memory, with their search index."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from knowledge.model import Procedure
from knowledge.questions import Answer, Questions, route
from knowledge.results import SearchResult
from knowledge.search import Lexicon, SearchIndex
from knowledge.store import load_knowledge_base


class LocalKnowledgeBase:
    """Implements the ``KnowledgeBase`` port (dialogs/ports.py).

    ``LocalKnowledgeBase.load()`` reads the shipped file; ``LocalKnowledgeBase(procedures)``
    indexes any sequence of procedures (tests build small ones this way).
    """

    def __init__(
        self,
        procedures: Iterable[Procedure],
        lexicon: Lexicon | None = None,
        questions: Questions | None = None,
    ) -> None:
        self._index = SearchIndex(tuple(procedures), lexicon)
        self._by_code = {p.code: p for p in self._index.procedures}
        self._questions = questions or Questions.load()

    @classmethod
    def load(cls, path: str | Path | None = None) -> LocalKnowledgeBase:
        """The knowledge base in ``path`` (the shipped ``knowledge/data/kb.json.gz`` by default)."""
        return cls(load_knowledge_base(path))

    def __len__(self) -> int:
        return len(self._by_code)

    def get(self, code: str) -> Procedure | None:
        """The procedure with this national code, or None."""
        return self._by_code.get(code.strip())

    def search(self, query: str, locale: str = "vi", limit: int = 5) -> SearchResult:
        """Rank procedures for a citizen's query; ``match`` is None when nothing fits."""
        return self._index.search(query, locale=locale, limit=limit)

    def answer(self, query: str, locale: str = "vi", limit: int = 5) -> Answer:
        """What reply the question gets: portal help, the law, a procedure, guesses or nothing."""
        return route(self._questions, self.search, query, locale, limit)
