"""Search keys for Vietnamese text: folded, tone-free syllables that spelling variants share.

Citizens type with full, partial or no diacritics, with either tone placement ("hoà"/"hòa"), and
with "i" or "y" after a consonant ("kí"/"ký", "lí"/"lý"). Folding removes the first two
differences; :func:`syllable_key` removes the third by writing a final "y" after a consonant as
"i" on both sides of the comparison.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

from knowledge.text import fold

_WORD = re.compile(r"[a-z0-9]+")
# "ky", "ly", "my", "sy", "ty", "hy"...: a consonant cluster then "y". "quy" keeps its "y" since
# "qu" contains a vowel letter and so does not match.
_CONSONANT_Y = re.compile(r"^([bcdghklmnprstvx]+)y$")
# Letters no Vietnamese word has: a token with one is English, or Telex typed with the input
# method off (see telex_key); English words are never "corrected" into Vietnamese.
_FOREIGN_LETTERS = frozenset("fjwz")


@lru_cache(maxsize=65536)
def syllable_key(token: str) -> str:
    """One spelling for a folded syllable ("ky" and "ki" both become "ki")."""
    return _CONSONANT_Y.sub(r"\1i", token)


def tokenize(text: str) -> list[str]:
    """The search keys of a text, in order."""
    return [syllable_key(t) for t in _WORD.findall(fold(text))]


QUESTIONS_KEPT = 64
"""Texts whose keys :func:`question_keys` keeps: the questions being answered at once."""


@lru_cache(maxsize=QUESTIONS_KEPT)
def question_keys(text: str) -> tuple[str, ...]:
    """The search keys of a question, cached: one answer reads them up to seven times (its
    length, whether it is a letter, the portal help's cues, the law's three sets of cues)."""
    return tuple(tokenize(text))


@lru_cache(maxsize=4096)
def spelled_keys(text: str) -> tuple[tuple[str, str], ...]:
    """Each search key of a text with the word it was written as (("ki", "ký"), ...), cached."""
    return spelled_words(text)


def spelled_words(text: str) -> tuple[tuple[str, str], ...]:
    """Like :func:`spelled_keys`, uncached: for reading every name once at build time.

    Folding keeps one character per NFC letter, so a word's span in the folded text is its span
    in the lowercased original.
    """
    lower = text.lower()
    return tuple(
        (syllable_key(m.group()), lower[m.start() : m.end()]) for m in _WORD.finditer(fold(lower))
    )


def clause_starts(text: str) -> frozenset[int]:
    """The indexes of the words (as :func:`spelled_keys` counts them) that start a new clause:
    a comma, a full stop or another mark stands between them and the word before."""
    folded = fold(text.lower())
    starts: set[int] = set()
    end = 0
    for i, m in enumerate(_WORD.finditer(folded)):
        if i and _CLAUSE_MARK.search(folded, end, m.start()):
            starts.add(i)
        end = m.end()
    return frozenset(starts)


_CLAUSE_MARK = re.compile("[,.;:!?…\n]")


def telex_key(token: str) -> str:
    """A syllable typed in Telex with the input method off, as a search key ("ddawngf" → "dang").

    Telex writes marks as letters: "dd" for "đ", a doubled vowel or a "w" for the hat and horn,
    a final "s f r x j" for the tone. The search key has no marks, so they are dropped.
    """
    if len(token) > 2 and token[-1] in "sfrxj" and token[-2] in "aeiouyngcmpt" + "w":
        token = token[:-1]
    if token.startswith("dd"):
        token = token[1:]
    token = token.replace("aa", "a").replace("ee", "e").replace("oo", "o")
    token = token.replace("uow", "uo").replace("aw", "a").replace("ow", "o").replace("uw", "u")
    return syllable_key(token.replace("w", "u"))


def looks_foreign(token: str) -> bool:
    """Whether a token cannot be a Vietnamese syllable (it has f, j, w or z)."""
    return not _FOREIGN_LETTERS.isdisjoint(token)


@lru_cache(maxsize=65536)
def marks(word: str) -> Counter[str]:
    """The diacritics of a lowercased word: its combining marks, and "đ" counted as one."""
    decomposed = unicodedata.normalize("NFD", word)
    found = Counter(c for c in decomposed if unicodedata.combining(c))
    found["đ"] = word.count("đ")
    return +found


def fits_marks(typed: str, written: str) -> bool:
    """Whether a word typed with diacritics can be ``written`` with some marks left out.

    Citizens drop marks ("kêt" for "kết") and place tones either way ("hoà"/"hòa"), but a mark
    the written word does not have makes another word: "bão" (storm) is not "bảo", "giày"
    (shoes) is not "giấy" (paper).
    """
    if written in _DOUBLETS.get(typed, ()):
        return True
    has = marks(written)
    return all(count <= has[mark] for mark, count in marks(typed).items())


_DOUBLETS = {"hằng": ("hàng",)}
"""Words written two ways, both right: "hằng tháng" and "hàng tháng" (every month) alike."""
