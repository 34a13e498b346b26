"""Phrases a question says, kept as data: matched as whole words, with or without diacritics.

The curated files of ``knowledge/data/faq`` list phrases one a line ("có bị phạt không",
"thủ tục"); a phrase may hold "…" where a question puts words of its own ("có được … không"
is said by "có được hưởng trợ cấp không"), up to ``MAX_GAP`` of them, so that a cue does not
reach from one clause into another.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from knowledge.search.tokens import question_keys, tokenize

GAP = "…"
MAX_GAP = 8  # words a question may put in a cue's gap
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cue:
    """One phrase, as search keys; its parts are the runs of words between gaps."""

    parts: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, phrase: str) -> Cue | None:
        """The cue a phrase of a data file means, or None when it has no words."""
        parts = tuple(tuple(tokenize(p)) for p in phrase.split(GAP))
        return cls(parts) if parts and all(parts) else None

    @property
    def length(self) -> int:
        """How many words the cue itself says (a longer cue is a more specific one)."""
        return sum(len(p) for p in self.parts)

    def said_in(self, tokens: tuple[str, ...]) -> bool:
        """Whether the question's search keys say this phrase."""
        return any(self.said_at(tokens, start) for start in range(len(tokens)))

    def said_at(self, tokens: tuple[str, ...], start: int) -> bool:
        """Whether the question's search keys say this phrase from the word at ``start``."""
        return self._rest_from(tokens, start, 0)

    def _rest_from(self, tokens: tuple[str, ...], start: int, k: int) -> bool:
        part = self.parts[k]
        if tokens[start : start + len(part)] != part:
            return False
        end = start + len(part)
        if k + 1 == len(self.parts):
            return True
        return any(
            self._rest_from(tokens, nxt, k + 1)
            for nxt in range(end, min(len(tokens), end + MAX_GAP + 1))
        )


class Cues(Generic[T]):
    """Cues, each standing for a value, found in a question by their first word: each of the
    question's words is checked against the few cues it could start, not every cue against
    every word (hundreds of cues are checked on every question asked)."""

    def __init__(self, cues: Iterable[tuple[Cue, T]]) -> None:
        self._by_first: dict[str, list[tuple[int, Cue, T]]] = defaultdict(list)
        for order, (cue, value) in enumerate(cues):
            self._by_first[cue.parts[0][0]].append((order, cue, value))

    def said(self, tokens: tuple[str, ...]) -> Iterator[tuple[int, Cue, T]]:
        """Each cue said in ``tokens`` (whole words), with its place among the cues."""
        for start, token in enumerate(tokens):
            for order, cue, value in self._by_first.get(token, ()):
                if cue.said_at(tokens, start):
                    yield order, cue, value

    def any_in(self, text: str) -> bool:
        """Whether the text says one of the cues."""
        return next(self.said(question_keys(text)), None) is not None


def read_cues(path: Path) -> Cues[None]:
    """The cues of a data file: one phrase a line, "#" starting a comment line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cues = (Cue.of(line.strip()) for line in lines if line.strip() and line.strip()[0] != "#")
    return Cues((cue, None) for cue in cues if cue is not None)
