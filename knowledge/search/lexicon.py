"""The search vocabulary files (knowledge/data/search/) and the query rewriting they drive.

Staff extend the files, not the code: each line maps a phrase (an abbreviation, an everyday or
legacy name, an English expression, a filler word) onto the words procedure names use.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from knowledge.search.tokens import tokenize

Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VariantMarker:
    """A phrase in a name that ranks it after the plain procedure unless the query asks for it.

    From variants.tsv (special cases: foreign element, mobile, a level; ``base`` replaces the
    marker to find the plain procedure's name) or qualifiers.tsv (other operations and other
    applicants; no base).
    """

    marker: Phrase
    base: Phrase
    penalty: float
    cues: tuple[Phrase, ...]


class PhraseTable:
    """Phrase → replacement rules applied left to right, the longest phrase first."""

    def __init__(self, rules: dict[Phrase, Phrase]) -> None:
        self._rules = rules
        # First word → the lengths of the phrases starting with it, longest first.
        starts: dict[str, set[int]] = {}
        for phrase in rules:
            starts.setdefault(phrase[0], set()).add(len(phrase))
        self._starts = {w: sorted(lengths, reverse=True) for w, lengths in starts.items()}

    def keys(self) -> Iterable[Phrase]:
        """Every phrase the table rewrites."""
        return self._rules.keys()

    def where(self, keep: Callable[[Phrase], bool]) -> PhraseTable:
        """A table with only the rules whose phrase ``keep`` accepts."""
        return PhraseTable({k: v for k, v in self._rules.items() if keep(k)})

    def merged(self, other: PhraseTable) -> PhraseTable:
        """A table with both tables' rules (``other`` wins on the same phrase)."""
        return PhraseTable({**self._rules, **other._rules})

    def rewrite(self, tokens: Sequence[str]) -> list[str]:
        """The tokens with every phrase replaced by its replacement."""
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for n in self._starts.get(tokens[i], ()):
                replacement = self._rules.get(tuple(tokens[i : i + n]))
                if replacement is not None:
                    # "birth certificate for my newborn": say "khai sinh" once, not twice.
                    if not replacement or out[-len(replacement) :] != list(replacement):
                        out.extend(replacement)
                    i += n
                    break
            else:
                out.append(tokens[i])
                i += 1
        return out


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the search reads from the vocabulary files."""

    abbreviations: PhraseTable  # expanded first, in queries and in procedure names alike
    phrases: PhraseTable  # everyday and legacy names, Vietnamese filler
    english: PhraseTable  # English phrases and English filler
    variants: tuple[VariantMarker, ...]  # special cases grouped with their plain procedure
    qualifiers: tuple[VariantMarker, ...]  # reissue, exchange, organisations: asked for or not
    priors: dict[str, float]
    small_talk: tuple[Phrase, ...]  # greetings, weather, prices: not a procedure question

    @classmethod
    def load(cls, directory: Path | None = None) -> Lexicon:
        """Read the files shipped in ``knowledge/data/search`` (or another directory)."""
        root = directory or Path(str(resources.files("knowledge.data.search")))
        # Filler first, so an alias of the same phrase wins.
        phrases = dict(_stop_rules(root / "stopwords.txt"))
        phrases.update(_rules(root / "colloquial.tsv"))
        english = dict(_stop_rules(root / "english-stopwords.txt"))
        english.update(_rules(root / "english.tsv"))
        return cls(
            abbreviations=PhraseTable(dict(_rules(root / "abbreviations.tsv"))),
            phrases=PhraseTable(phrases),
            english=PhraseTable(english),
            variants=tuple(_markers(root / "variants.tsv")),
            qualifiers=tuple(_markers(root / "qualifiers.tsv", with_base=False)),
            priors=dict(_priors(root / "priors.tsv")),
            small_talk=tuple(p for p, _ in _stop_rules(root / "small-talk.txt")),
        )


class LexiconError(ValueError):
    """A vocabulary file has a line the search cannot use."""


def _rows(path: Path) -> Iterator[list[str]]:
    """Tab-separated rows of a vocabulary file, comments and blank lines skipped."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            yield [cell.strip() for cell in line.split("\t")]


def _number(path: Path, row: Sequence[str], text: str) -> float:
    try:
        return float(text or 0)
    except ValueError:
        line = "\t".join(row)
        raise LexiconError(f"{path.name}: {text!r} is not a number in the line {line!r}") from None


def _rules(path: Path) -> Iterator[tuple[Phrase, Phrase]]:
    for row in _rows(path):
        phrase = tuple(tokenize(row[0]))
        if phrase:
            yield phrase, tuple(tokenize(row[1] if len(row) > 1 else ""))


def _stop_rules(path: Path) -> Iterator[tuple[Phrase, Phrase]]:
    for row in _rows(path):
        if phrase := tuple(tokenize(row[0])):
            yield phrase, ()


def _priors(path: Path) -> Iterator[tuple[str, float]]:
    for row in _rows(path):
        yield row[0], _number(path, row, row[1] if len(row) > 1 else "")


def _markers(path: Path, *, with_base: bool = True) -> Iterator[VariantMarker]:
    """Rows of ``marker, base, penalty, cues`` (qualifiers.tsv has no base column)."""
    for row in _rows(path):
        if not with_base:
            row = [row[0], "", *row[1:]]
        marker, base, penalty, cues = [*row, "", "", ""][:4]
        yield VariantMarker(
            marker=tuple(tokenize(marker)),
            base=tuple(tokenize(base)),
            penalty=_number(path, row, penalty),
            cues=tuple(tuple(tokenize(c)) for c in cues.split("|") if tokenize(c)),
        )
