"""Phrasings staff taught the assistant: a question it could not answer, linked to a procedure
or marked out of scope with the reply to give.

Staff read the questions the search missed and tell the assistant what they meant; the next
citizen who asks the same thing (with or without diacritics, words in another order, a typo)
gets that answer. The lessons live in the database; this module only holds the current set in
memory and matches questions against it, so the search stays free of I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from knowledge.search.tokens import tokenize

SAME_QUESTION = 90.0
"""rapidfuzz ``token_sort_ratio`` from which two questions count as the same: it forgives a
typo or a word order ("khai sinh lam the nao" / "lam khai sinh the nao"), not another need."""


def question_key(text: str) -> str:
    """A question's key: its search keys (folded, tone-free syllables) joined by spaces.

    "Làm giấy khai sinh" and "lam giay khai sinh" have the same key.
    """
    return " ".join(tokenize(text))


@dataclass(frozen=True, slots=True)
class Lesson:
    """What staff said a phrasing means: a procedure's code, or a reply for an out-of-scope ask.

    Exactly one of ``code`` and ``reply`` is set.
    """

    phrase: str
    code: str | None = None
    reply: str | None = None

    def __post_init__(self) -> None:
        if (self.code is None) == (self.reply is None):
            raise ValueError("a lesson names a procedure or gives a reply, not both or neither")


class TaughtPhrases:
    """The lessons in force, matched by key; an immutable snapshot, replaced as a whole."""

    def __init__(self, lessons: Iterable[Lesson] = ()) -> None:
        self._by_key: dict[str, Lesson] = {}
        for lesson in lessons:
            key = question_key(lesson.phrase)
            if key:
                self._by_key[key] = lesson
        self._keys = list(self._by_key)

    def __len__(self) -> int:
        return len(self._by_key)

    def find(self, query: str) -> Lesson | None:
        """The lesson for this question: the same key, else the closest one that is the same
        question (``SAME_QUESTION``); None when staff taught nothing about it.

        With nothing taught (the shipped knowledge base, until staff teach a phrasing) the
        query is not read at all: every question asks twice.
        """
        if not self._keys:
            return None
        key = question_key(query)
        if not key:
            return None
        exact = self._by_key.get(key)
        if exact is not None:
            return exact
        best = process.extractOne(
            key, self._keys, scorer=fuzz.token_sort_ratio, score_cutoff=SAME_QUESTION
        )
        return None if best is None else self._by_key[best[0]]
