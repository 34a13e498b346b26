"""The search index's shortcuts rank exactly as their plain definitions, on the tuning sets.

The index caches the penalties of each set of waived markers (summed over every marker's procedures
in one array), gathers a query's postings once for several sums, looks only at the situations a
phrase of the query may begin, and reads a hit's terms from a per-procedure list. Each shortcut is
replaced here by the plain computation it stands for, and every query of the tuning sets must get
the same scores, bit for bit, and the same result.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from support.procedures import shipped_index

from knowledge.search.ages import bands_said
from knowledge.search.index import SearchIndex, _Analysis, _Postings
from knowledge.search.lexicon import Heard, Phrase

QUERIES = Path(__file__).resolve().parents[2] / "bench" / "queries"
TUNING_SETS = ("dev.jsonl", "eval.jsonl", "letters.jsonl")


class PlainIndex(SearchIndex):
    """The same index with every shortcut computed the plain way."""

    def _penalty(self, analysis: _Analysis, *, cued: bool = True) -> np.ndarray:
        said, heard = analysis.said, analysis.heard if cued else frozenset()
        markers = self._lexicon.variants + self._lexicon.qualifiers
        waived = {
            j for j, m in enumerate(markers) if m.marker in said or not heard.isdisjoint(m.cues)
        }
        penalty = np.zeros(len(self), dtype=np.float32)
        for j, m in enumerate(markers):
            if j in waived:
                continue
            for i in self._marked[self._marked_by == j]:
                listed = self._listed.get(int(i), frozenset())
                if not (j in listed and waived & listed):
                    penalty[i] += m.penalty
        return penalty

    def _sum(
        self, postings: _Postings, terms: Sequence[int], *weights: np.ndarray
    ) -> list[np.ndarray]:
        sums = [np.zeros(len(self)) for _ in weights]
        for k, term in enumerate(terms):
            for total, weight in zip(sums, weights, strict=True):
                total[postings[term]] += np.float64(weight[k])
        return sums

    def _heard(
        self, raw: Sequence[str], words: Sequence[str], tokens: Sequence[str], typed: Sequence[bool]
    ) -> Heard:
        typed_at: dict[Phrase, list[int]] = {}
        for n in self._phrase_lengths:
            for i in range(len(raw) - n + 1):
                typed_at.setdefault(tuple(raw[i : i + n]), []).append(i)
        rewritten = frozenset(
            tuple(tokens[i : i + n])
            for n in self._phrase_lengths
            for i in range(len(tokens) - n + 1)
            if not all(typed[i : i + n])
        ) | bands_said(self._lexicon.ages, raw)
        return Heard(rewritten, typed_at, raw, words)

    def _implied(self, query: Heard, story: Heard | None) -> tuple[Phrase, ...]:
        return tuple(s.terms for s, _ in self._situations if s.applies(query, story))


@pytest.fixture(scope="module")
def indexes() -> tuple[SearchIndex, PlainIndex]:
    fast = shipped_index()
    return fast, PlainIndex(fast.procedures)


def _queries(name: str) -> list[str]:
    lines = (QUERIES / name).read_text("utf-8").splitlines()
    return [json.loads(line)["q"] for line in lines if line]


@pytest.mark.parametrize("name", TUNING_SETS)
def test_every_tuning_query_scores_and_ranks_as_the_plain_definitions(
    indexes: tuple[SearchIndex, PlainIndex], name: str
) -> None:
    fast, plain = indexes
    for query in _queries(name):
        analysis = fast._analyse(query, "vi")
        assert analysis == plain._analyse(query, "vi"), query
        got, want = fast._score(analysis), plain._score(analysis)
        if want is None:
            assert got is None, query
            continue
        assert got is not None, query
        for field in ("total", "coverage", "phrase", "precision"):
            assert np.array_equal(getattr(got, field), getattr(want, field)), (query, field)
        assert fast.search(query, limit=5) == plain.search(query, limit=5), query


def test_each_procedures_terms_are_those_whose_postings_list_it(
    indexes: tuple[SearchIndex, PlainIndex],
) -> None:
    fast, _ = indexes
    for postings in (fast._name_postings, fast._context_postings, fast._field_postings):
        listed: list[set[int]] = [set() for _ in range(len(fast))]
        for term in range(len(fast._vocabulary)):
            for i in postings[term].tolist():
                listed[i].add(term)
        assert [postings.terms_of(i) for i in range(len(fast))] == listed
