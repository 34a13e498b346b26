"""Which cards are right: the calibration of ``CARD_SAYS`` (knowledge/questions.py).

``python -m bench.cards [FILE...]`` (the tuning sets by default: dev, eval, letters, tune3 to
tune13; never a held-out set) answers every question of the sets with the length rule switched
off (``--card-rule`` keeps it: the cards citizens get today), keeps the replies that give a
procedure card, and prints how often those cards were right in each cell of message length
(words) by the share of the card's name the message says (``SearchHit.said``), then the same by
the card's score over the best unrelated runner-up's, then by the best rival's score over the
card's (the best runner-up that is another procedure, ``knowledge.questions.best_rival``) and
by the share of words the two names have in common: the calibration of ``NEAR_TIE``, which is
switched off here. A cell right less than nine times in ten is one where a card is not "very
likely right": the rules make its cards "did you mean" guesses in the same order.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import knowledge.questions
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import AnswerKind, best_rival
from knowledge.search.tokens import tokenize

QUERIES = Path(__file__).parent / "queries"
TUNING = ("dev", "eval", "letters", *(f"tune{n}" for n in range(3, 14)))
WORDS = ((0, 8), (8, 15), (15, 25), (25, 10_000))
SAID = ((0.0, 0.2), (0.2, 0.35), (0.35, 0.5), (0.5, 0.75), (0.75, 1.01))
MARGIN = ((0.0, 1.05), (1.05, 1.1), (1.1, 1.2), (1.2, 1.5), (1.5, 100.0))
RIVAL = (
    (0.0, 0.85),
    (0.85, 0.9),
    (0.9, 0.93),
    (0.93, 0.95),
    (0.95, 0.97),
    (0.97, 0.99),
    (0.99, 1.01),
)
IN_COMMON = ((0.0, 0.5), (0.5, 0.7), (0.7, 1.01))
LIMIT = 10  # enough runners-up to find an unrelated one; the card itself does not depend on it


@dataclass(frozen=True, slots=True)
class Card:
    """One procedure card a question got, and what may tell a right one from a wrong one."""

    right: bool
    words: int
    said: float
    margin: float  # the card's score over the best runner-up that is not its own variant
    rival: float  # the best rival's score over the card's (0 without a rival)
    in_common: float  # the share of the card's and its best rival's name words both say


def cards(kb: LocalKnowledgeBase, rows: Sequence[dict[str, object]]) -> list[Card]:
    """The cards the answer route gives ``rows`` without the length rule."""
    found: list[Card] = []
    for row in rows:
        query = str(row["q"])
        answer = kb.answer(query, limit=LIMIT)
        match = answer.result.match
        if answer.kind is not AnswerKind.PROCEDURE or match is None:
            continue
        alternatives = answer.result.alternatives
        strangers = [h.score for h in alternatives if not h.variant]
        rival = best_rival(match, alternatives)
        found.append(
            Card(
                right=match.code in set(row["accept"]),  # type: ignore[call-overload]
                words=len(tokenize(query)),
                said=match.said,
                margin=match.score / max(strangers) if strangers else 100.0,
                rival=rival.score / match.score if rival else 0.0,
                in_common=_in_common(match.name, rival.name) if rival else 0.0,
            )
        )
    return found


def _in_common(name: str, other: str) -> float:
    """The share of two names' words (search keys) that both say."""
    words, others = set(tokenize(name)), set(tokenize(other))
    return len(words & others) / len(words | others) if words | others else 0.0


def table(
    found: Sequence[Card],
    rows: Sequence[tuple[float, float]],
    row_of: Callable[[Card], float],
    columns: Sequence[tuple[float, float]],
    column_of: Callable[[Card], float],
) -> list[str]:
    """Right / given cards in each cell, with their share."""
    lines = ["".ljust(12) + "".join(f"{lo:g}-{hi:g}".rjust(16) for lo, hi in columns)]
    for lo, hi in rows:
        cells = []
        for c_lo, c_hi in columns:
            cell = [c for c in found if lo <= row_of(c) < hi and c_lo <= column_of(c) < c_hi]
            right = sum(c.right for c in cell)
            text = f"{right}/{len(cell)} {right / len(cell):.2f}" if cell else "-"
            cells.append(text.rjust(16))
        lines.append(f"{lo:g}-{hi:g}".ljust(12) + "".join(cells))
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Print the cards' right shares by length and said share, then by margin."""
    parser = argparse.ArgumentParser(prog="python -m bench.cards", description=__doc__)
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        default=[QUERIES / f"{name}.jsonl" for name in TUNING],
        help="JSONL query files (default: the tuning sets)",
    )
    parser.add_argument(
        "--card-rule",
        action="store_true",
        help="keep the length rule (CARD_SAYS): the cards citizens get today",
    )
    args = parser.parse_args(argv)
    if not args.card_rule:
        knowledge.questions.CARD_SAYS = ()  # the cards as they were before the rule
    knowledge.questions.NEAR_TIE = float("inf")  # the rule calibrated here, switched off
    kb = LocalKnowledgeBase.load()
    found: list[Card] = []
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        found.extend(cards(kb, rows))
    right = sum(c.right for c in found)
    print(f"{len(found)} cards, {right} right ({right / len(found):.3f})")
    print("\nwords (rows) by share of the name said (columns): right/cards")
    print("\n".join(table(found, WORDS, lambda c: c.words, SAID, lambda c: c.said)))
    print("\nwords (rows) by score over the best unrelated runner-up (columns)")
    print("\n".join(table(found, WORDS, lambda c: c.words, MARGIN, lambda c: c.margin)))
    print("\nname words in common with the best rival (rows) by its score over the card's")
    print("\n".join(table(found, IN_COMMON, lambda c: c.in_common, RIVAL, lambda c: c.rival)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
