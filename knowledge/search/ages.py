"""Ages a question tells ("con tôi 10 tuổi") heard as the age bands names use ("dưới 14 tuổi").

Procedure names speak of bands ("Cấp thẻ căn cước cho người dưới 14 tuổi", "trẻ em dưới 6
tuổi", "người cao tuổi từ đủ 75 tuổi"), citizens of one age ("bé nhà em 7 tuổi", "cháu 9t",
"bé 8 tháng tuổi"). The bands are data (``knowledge/data/search/ages.tsv``): an age said in a
question makes it say every band the age falls in, as a phrase the situations of
``situations.tsv`` can take as a cue ("căn cước" + "dưới 14 tuổi"). A band is only heard, never
searched by itself: "con tôi 2 tuổi chưa làm khai sinh" is not about the names that say "dưới 6
tuổi".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from knowledge.search.tokens import tokenize

Phrase = tuple[str, ...]
YEARS = "tuoi"  # "10 tuổi"; also glued to the number as "t" ("cháu 9t")
MONTHS = ("thang", "tuoi")  # "8 tháng tuổi": under a year old


@dataclass(frozen=True, slots=True)
class AgeBand:
    """The ages from ``low`` to ``high`` (whole years, both included), said as ``phrase``."""

    phrase: Phrase
    low: int
    high: int


def ages_told(keys: Sequence[str]) -> Iterator[int]:
    """Each age in whole years the question's search keys tell."""
    for i, key in enumerate(keys):
        number = key[:-1] if key.endswith("t") and key[:-1].isdigit() else key
        if not number.isdigit():
            continue
        if tuple(keys[i + 1 : i + 3]) == MONTHS:
            yield 0
        elif number != key or tuple(keys[i + 1 : i + 2]) == (YEARS,):
            yield int(number)


def bands_said(bands: Sequence[AgeBand], keys: Sequence[str]) -> frozenset[Phrase]:
    """The phrases of the bands that the ages the question tells fall in."""
    return frozenset(b.phrase for age in ages_told(keys) for b in bands if b.low <= age <= b.high)


def read_band(phrase: str, low: str, high: str) -> AgeBand | None:
    """One row of ``ages.tsv``, or None when a cell is not what it should be."""
    words = tuple(tokenize(phrase))
    if not words or not low.isdigit() or not high.isdigit() or int(low) > int(high):
        return None
    return AgeBand(words, int(low), int(high))
