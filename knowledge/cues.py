"""Phrases a question says, kept as data: matched as whole words, with or without diacritics.

The curated files of ``knowledge/data/faq`` list phrases one a line ("có bị phạt không",
"thủ tục"); a phrase may hold "…" where a question puts words of its own ("có được … không"
is said by "có được hưởng trợ cấp không"), up to ``MAX_GAP`` of them, so that a cue does not
reach from one clause into another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.search.tokens import tokenize

GAP = "…"
MAX_GAP = 8  # words a question may put in a cue's gap


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
        return any(self._rest_from(tokens, start, 0) for start in range(len(tokens)))

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


def read_cues(path: Path) -> list[Cue]:
    """The cues of a data file: one phrase a line, "#" starting a comment line."""
    lines = path.read_text(encoding="utf-8").splitlines()
    cues = (Cue.of(line.strip()) for line in lines if line.strip() and line.strip()[0] != "#")
    return [cue for cue in cues if cue is not None]


def says_any(cues: list[Cue], text: str) -> bool:
    """Whether the text says one of the cues."""
    tokens = tuple(tokenize(text))
    return any(cue.said_in(tokens) for cue in cues)
