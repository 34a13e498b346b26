"""The search vocabulary files (knowledge/data/search/) and the query rewriting they drive.

Staff extend the files, not the code: each line maps a phrase (an abbreviation, an everyday or
legacy name, an English expression, a filler word, a situation's cues) onto the words procedure
names use, or names a topic that is not a procedure question.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from knowledge.search.ages import AgeBand, read_band
from knowledge.search.tokens import fits_marks, spelled_keys, tokenize

Phrase = tuple[str, ...]
_EXPANSION_SLACK = 3  # an expansion weighs at most its phrase plus this many words


@dataclass(frozen=True, slots=True)
class Topic:
    """A phrase kept as written (small talk, a cue), to be heard with its diacritics.

    A query typed without marks says it whenever the keys agree; one typed with marks says it
    only when they agree too: "đã mất" (has died) does not say "da mặt" (face skin).
    """

    phrase: Phrase
    words: tuple[str, ...]

    def said_in(self, keys: Sequence[str], words: Sequence[str], start: int) -> bool:
        """Whether the query says this phrase at ``start``, its diacritics (if any) agreeing."""
        end = start + len(self.phrase)
        return tuple(keys[start:end]) == self.phrase and all(
            fits_marks(typed, written)
            for typed, written in zip(words[start:end], self.words, strict=True)
        )


@dataclass(frozen=True, slots=True)
class Heard:
    """What a text says, for cues: the phrases its rewriting put in and where each phrase as
    typed starts (``keys``, ``words``), to hear a typed phrase only with agreeing diacritics."""

    rewritten: frozenset[Phrase]
    typed_at: dict[Phrase, list[int]]
    keys: Sequence[str]
    words: Sequence[str]

    def says(self, topic: Topic) -> bool:
        """Whether the text says the phrase ("tầng" does not say "tặng", "lần" not "lấn")."""
        return topic.phrase in self.rewritten or any(
            topic.said_in(self.keys, self.words, i) for i in self.typed_at.get(topic.phrase, ())
        )


@dataclass(frozen=True, slots=True)
class Situation:
    """Words that together, anywhere in a query, describe a need a name puts in other words.

    "vợ sinh con được nhận tiền bảo hiểm không" never says "thai sản", but a birth and money or
    insurance in one question is the maternity benefit. Each cue is a set of alternative
    phrases; all cues must be present. A cue marked ``anywhere`` (written ``~`` in the file) may
    be told in the letter around the question rather than in the question: "Nay ông mất thì
    thủ tục hưởng mai táng phí?" asks for a burial allowance, and whose it is (a resistance
    medal holder's) the story before it says.
    """

    cues: tuple[tuple[Topic, ...], ...]
    terms: Phrase
    anywhere: tuple[bool, ...]  # for each cue, whether the story around a question may tell it

    def applies(self, query: Heard, story: Heard | None = None) -> bool:
        """Whether every cue has one of its phrases in the query, or in the story around it
        for a cue that may be told there."""
        return all(
            any(query.says(t) or (far and story is not None and story.says(t)) for t in cue)
            for cue, far in zip(self.cues, self.anywhere, strict=True)
        )


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
    cues: tuple[Topic, ...]


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
        return self.rewrite_tracked(tokens, [True] * len(tokens))[0]

    def rewrite_tracked(
        self, tokens: Sequence[str], typed: Sequence[bool]
    ) -> tuple[list[str], list[bool]]:
        """The rewritten tokens, and for each whether it is a token of the input as typed.

        ``typed`` says the same of the input tokens; replacements are never typed.
        """
        out, kept, _ = self.rewrite_weighted(tokens, typed, [1.0] * len(tokens))
        return out, kept

    def rewrite_weighted(
        self, tokens: Sequence[str], typed: Sequence[bool], weights: Sequence[float]
    ) -> tuple[list[str], list[bool], list[float]]:
        """Like :meth:`rewrite_tracked`, with each token's weight in the query as well.

        A replacement spells out what a few typed words mean ("làm sổ đỏ" → the twelve words
        of the first land certificate's name); its words together weigh at most as much as the
        phrase plus three words, so a long expansion does not drown the rest of the question
        ("lệ phí trước bạ khi làm sổ đỏ" asks about the fee, not the red book).
        """
        out: list[str] = []
        kept: list[bool] = []
        weight: list[float] = []
        i = 0
        while i < len(tokens):
            for n in self._starts.get(tokens[i], ()):
                replacement = self._rules.get(tuple(tokens[i : i + n]))
                if replacement is not None:
                    # "birth certificate for my newborn": say "khai sinh" once, not twice.
                    if not replacement or out[-len(replacement) :] != list(replacement):
                        share = (
                            min(1.0, (n + _EXPANSION_SLACK) / len(replacement))
                            if replacement
                            else 1.0
                        )
                        out.extend(replacement)
                        kept.extend([False] * len(replacement))
                        weight.extend([share * max(weights[i : i + n])] * len(replacement))
                    i += n
                    break
            else:
                out.append(tokens[i])
                kept.append(typed[i])
                weight.append(weights[i])
                i += 1
        return out, kept, weight


@dataclass(frozen=True, slots=True)
class Sense:
    """One reading of a colloquial phrase, chosen by the words around it.

    "nhập khẩu" about a person or a family is residence registration; about goods it is the
    customs import. ``cues`` are the words that select the sense (none: the default), and
    ``meaning`` the terms it is searched as (None: the words as typed).
    """

    phrase: Phrase
    cues: tuple[Phrase, ...]
    meaning: Phrase | None

    def applies(self, keys: Sequence[str]) -> bool:
        """Whether a cue of this sense (or, for the default, nothing) is in the query."""
        if not self.cues:
            return True
        grams = {tuple(keys[i : i + len(c)]) for c in self.cues for i in range(len(keys))}
        return any(cue in grams for cue in self.cues)


class Senses:
    """The readings of the colloquial phrases, found by the phrases a question says: hundreds
    of readings (a row may read dozens of phrases) are checked on every question asked, so each
    word looks up only the readings of the phrases that start there."""

    def __init__(self, senses: Iterable[Sense] = ()) -> None:
        self._by_phrase: dict[Phrase, list[tuple[int, Sense]]] = {}
        for order, sense in enumerate(senses):
            self._by_phrase.setdefault(sense.phrase, []).append((order, sense))
        self._lengths = sorted({len(p) for p in self._by_phrase})
        self._first = frozenset(p[0] for p in self._by_phrase)

    def at(self, keys: Sequence[str], start: int) -> Sense | None:
        """The first reading, in the file's order, of a phrase said from ``start`` whose cues
        the question says (none where no phrase starts with the word there, most words)."""
        if keys[start] not in self._first:
            return None
        found = [
            hit
            for n in self._lengths
            for hit in self._by_phrase.get(tuple(keys[start : start + n]), ())
        ]
        return next((s for _, s in sorted(found, key=lambda h: h[0]) if s.applies(keys)), None)


def read_senses(senses: Senses, keys: Sequence[str]) -> tuple[list[str], list[bool]]:
    """The keys with each sensed phrase replaced by its meaning in this query.

    Returns the keys and, for each, whether it is a word as typed (a meaning's words are not).
    The first sense of a phrase whose cues the query says wins, in the file's order.
    """
    out: list[str] = []
    typed: list[bool] = []
    i = 0
    while i < len(keys):
        chosen = senses.at(keys, i)
        if chosen is None or chosen.meaning is None:
            n = len(chosen.phrase) if chosen else 1
            out.extend(keys[i : i + n])
            typed.extend([True] * n)
            i += n
            continue
        out.extend(chosen.meaning)
        typed.extend([False] * len(chosen.meaning))
        i += len(chosen.phrase)
    return out, typed


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the search reads from the vocabulary files."""

    abbreviations: PhraseTable  # expanded first, in queries and in procedure names alike
    phrases: PhraseTable  # everyday and legacy names, Vietnamese filler
    english: PhraseTable  # English phrases and English filler
    variants: tuple[VariantMarker, ...]  # special cases grouped with their plain procedure
    qualifiers: tuple[VariantMarker, ...]  # reissue, exchange, organisations: asked for or not
    priors: dict[str, float]
    small_talk: tuple[Topic, ...]  # weather, prices, jokes: not a procedure question
    situations: tuple[Situation, ...]  # cue words anywhere → the terms names use
    filler: dict[str, tuple[str, ...]]  # key → the words it is filler as ("thi" → "thì")
    senses: Senses = field(default_factory=Senses)  # colloquial phrases read in context
    ages: tuple[AgeBand, ...] = ()  # the bands an age told falls in ("dưới 14 tuổi")
    fields: dict[Phrase, tuple[Phrase, ...]] = field(default_factory=dict)
    """A field's everyday words ("Người có công" → "thương binh", "liệt sĩ"...): a query saying
    them names the field, as one saying the field's own name does."""

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
            small_talk=tuple(_topics(root / "small-talk.txt")),
            situations=tuple(_situations(root / "situations.tsv")),
            filler=_filler(root / "filler.txt"),
            senses=Senses(_senses(root / "senses.tsv")),
            ages=tuple(_ages(root / "ages.tsv")),
            fields=dict(_fields(root / "fields.tsv")),
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


def _topic(text: str) -> Topic | None:
    spelled = spelled_keys(text)
    if not spelled:
        return None
    return Topic(phrase=tuple(k for k, _ in spelled), words=tuple(w for _, w in spelled))


def _topics(path: Path) -> Iterator[Topic]:
    for row in _rows(path):
        if topic := _topic(row[0]):
            yield topic


def _filler(path: Path) -> dict[str, tuple[str, ...]]:
    """Key → the words, with their diacritics, that make it a filler word."""
    words: dict[str, list[str]] = {}
    for topic in _topics(path):
        for key, word in zip(topic.phrase, topic.words, strict=True):
            words.setdefault(key, []).append(word)
    return {key: tuple(forms) for key, forms in words.items()}


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
            cues=tuple(topic for c in cues.split("|") if (topic := _topic(c))),
        )


def _fields(path: Path) -> Iterator[tuple[Phrase, tuple[Phrase, ...]]]:
    """Rows of ``field, everyday words`` (``|`` separated)."""
    for row in _rows(path):
        alternatives = (row[1] if len(row) > 1 else "").split("|")
        words = tuple(w for alt in alternatives if (w := tuple(tokenize(alt))))
        if not tokenize(row[0]) or not words:
            line = "\t".join(row)
            raise LexiconError(f"{path.name}: the line {line!r} needs a field and its words")
        yield tuple(tokenize(row[0])), words


def _situations(path: Path) -> Iterator[Situation]:
    """Rows of ``cue + cue ...`` (each cue ``phrase|phrase``, ``~`` before one that may be
    told anywhere in the letter), then the terms to add."""
    for row in _rows(path):
        written = [cue.strip() for cue in row[0].split("+")]
        anywhere = tuple(cue.startswith("~") for cue in written)
        cues = tuple(
            tuple(t for alt in cue.lstrip("~").split("|") if (t := _topic(alt))) for cue in written
        )
        terms = tuple(tokenize(row[1] if len(row) > 1 else ""))
        if not terms or not all(cues) or all(anywhere):
            line = "\t".join(row)
            raise LexiconError(f"{path.name}: the line {line!r} needs cues and terms")
        yield Situation(cues=cues, terms=terms, anywhere=anywhere)


def _senses(path: Path) -> Iterator[Sense]:
    """Rows of ``phrases (| separated), cues (| separated, * for the default), meaning (= keeps
    the words)``: each phrase of a row is read the same way."""
    if not path.is_file():
        return
    for row in _rows(path):
        phrases, cues, meaning = [*row, "", ""][:3]
        said = [tuple(tokenize(p)) for p in phrases.split("|") if tokenize(p)]
        if not said or not meaning:
            line = "\t".join(row)
            raise LexiconError(f"{path.name}: the line {line!r} needs a phrase, cues and a meaning")
        for phrase in said:
            yield Sense(
                phrase=phrase,
                cues=()
                if cues.strip() == "*"
                else tuple(tuple(tokenize(c)) for c in cues.split("|") if tokenize(c)),
                meaning=None if meaning.strip() == "=" else tuple(tokenize(meaning)),
            )


def _ages(path: Path) -> Iterator[AgeBand]:
    """Rows of ``band phrase, lowest age, highest age`` (whole years, both included)."""
    if not path.is_file():
        return
    for row in _rows(path):
        band = read_band(*[*row, "", ""][:3])
        if band is None:
            line = "\t".join(row)
            raise LexiconError(f"{path.name}: the line {line!r} needs a phrase and two ages")
        yield band
