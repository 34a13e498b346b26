"""Questions that are not about finding a procedure: using the portal, and the law.

A citizen asking how to pay online or how to log in with VNeID needs a short true answer, not a
procedure card; one asking "có bị phạt không" asks for legal advice, which the assistant does
not give. Both are recognised from phrases kept as data (``knowledge/data/faq/``): curated
answers with their sources, and the cues of legal questions. Matching ignores diacritics and
looks for whole words, so "đăng nhập" is heard in "dang nhap vneid" but not inside other words.
"""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Generic, TypeVar

from knowledge.results import SearchResult
from knowledge.search.tokens import tokenize

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HelpAnswer:
    """A curated answer about using the portal, in both languages, with its sources."""

    id: str
    vi: str
    en: str
    sources: tuple[str, ...]

    def text(self, locale: str) -> str:
        """The answer in the user's language (English for "en", Vietnamese otherwise)."""
        return self.en if locale.lower().startswith("en") else self.vi


class _Cues(Generic[T]):
    """Phrases, each standing for a value, found in a question by their first word: each of the
    question's words is checked against the few cues it could start, not every cue against
    every word (hundreds of cues are checked on every question asked)."""

    def __init__(self, cues: Iterable[tuple[str, T]]) -> None:
        self._by_first: dict[str, list[tuple[int, tuple[str, ...], T]]] = defaultdict(list)
        for order, (cue, value) in enumerate(cues):
            if words := tuple(tokenize(cue)):
                self._by_first[words[0]].append((order, words, value))

    def said(self, tokens: tuple[str, ...]) -> Iterator[tuple[int, tuple[str, ...], T]]:
        """Each cue said in ``tokens`` (whole words), with its place among the cues."""
        for i, token in enumerate(tokens):
            for order, words, value in self._by_first.get(token, ()):
                if tokens[i : i + len(words)] == words:
                    yield order, words, value


class Questions:
    """Recognises portal-usage and legal questions from the curated data files."""

    def __init__(self, help_entries: list[tuple[HelpAnswer, list[str]]], law: list[str]) -> None:
        self._help = _Cues((cue, answer) for answer, cues in help_entries for cue in cues)
        self._law = _Cues((cue, None) for cue in law)

    @classmethod
    def load(cls, folder: str | Path | None = None) -> Questions:
        """The curated data (``knowledge/data/faq`` by default)."""
        source = Path(folder) if folder else Path(str(resources.files("knowledge.data.faq")))
        document = tomllib.loads((source / "portal.toml").read_text(encoding="utf-8"))
        entries = [
            (
                HelpAnswer(e["id"], e["vi"].strip(), e["en"].strip(), tuple(e["sources"])),
                list(e["cues"]),
            )
            for e in document["entry"]
        ]
        law = [
            line.strip()
            for line in (source / "law.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        return cls(entries, law)

    def portal_help(self, query: str) -> HelpAnswer | None:
        """The curated answer whose cue the question says (the longest cue wins), or None."""
        found = list(self._help.said(tuple(tokenize(query))))
        if not found:
            return None
        # Among the longest cues said, the first in the data file's order.
        return min(found, key=lambda f: (-len(f[1]), f[0]))[2]

    def about_law(self, query: str) -> bool:
        """Whether the question asks about the law (fines, legality, disputes)."""
        return next(self._law.said(tuple(tokenize(query))), None) is not None


class AnswerKind(StrEnum):
    """What kind of reply a question gets."""

    HELP = "help"  # a curated answer about using the portal
    LAW = "law"  # "I explain procedures, not legal advice", with a procedure when one fits
    PROCEDURE = "procedure"  # the procedure that fits (detailed, or known from the catalogue)
    UNSURE = "unsure"  # no sure fit: close procedures offered as "did you mean"
    NONE = "none"  # nothing fits
    DECLINED = "declined"  # staff marked the question out of scope and wrote the reply to give


@dataclass(frozen=True, slots=True)
class Answer:
    """The reply a question gets, decided in one place for the chat and the benchmark."""

    kind: AnswerKind
    result: SearchResult
    help: HelpAnswer | None = None
    reply: str | None = None
    """The staff's reply to an out-of-scope question (``DECLINED``)."""


Search = Callable[[str, str, int], SearchResult]


def route(questions: Questions, search: Search, query: str, locale: str, limit: int) -> Answer:
    """Portal help first, then the law, then the procedure search's tiers.

    A legal question still carries the search result, so a procedure it clearly involves can
    be offered beside the disclaimer; portal help does too ("nộp lệ phí trực tuyến khai sinh").
    """
    result = search(query, locale, limit)
    help_answer = questions.portal_help(query)
    if help_answer is not None:
        return Answer(AnswerKind.HELP, result, help_answer)
    if questions.about_law(query):
        return Answer(AnswerKind.LAW, result)
    if result.match is not None:
        return Answer(AnswerKind.PROCEDURE, result)
    return Answer(AnswerKind.UNSURE if result.candidates else AnswerKind.NONE, result)
