"""What a search returns: ranked hits, each with how much of its name the query says."""

from __future__ import annotations

from dataclasses import dataclass

SAYS_LITTLE = 0.35
"""A query that says less than this share of a procedure's name (``SearchHit.said``) only shares
a few of its words: the search makes such a best a guess against a single level stranger, and a
question asking "whether" gets the legal reply rather than that procedure."""


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One procedure that fits the query.

    ``variant`` is True when the hit is a close variant of the best match (another level, a
    foreign element, re-registration...), so a dialog can ask "which case is yours?".
    """

    code: str
    name: str
    score: float
    variant: bool = False
    said: float = 1.0
    """The share of the name's weight the query says: a question that only shares a few of
    its words ("có được đứng tên mua đất không" with "Đăng ký đất đai...") is about something
    else the name happens to mention."""


@dataclass(frozen=True, slots=True)
class SearchResult:
    """The answer to one query: the best match (None when nothing fits) and the runners-up.

    ``candidates`` is filled only when no procedure fits surely but some fit in part: they may
    be offered as "did you mean", never given as the answer.
    """

    query: str
    match: SearchHit | None
    alternatives: tuple[SearchHit, ...] = ()
    candidates: tuple[SearchHit, ...] = ()

    @property
    def variants(self) -> tuple[SearchHit, ...]:
        """Alternatives that are close variants of the match."""
        return tuple(h for h in self.alternatives if h.variant)
