"""What citizens get back: the answer route measured on a query set, with every miss listed.

``python -m bench.answers [FILE...]`` (the tuning set ``bench/queries/letters.jsonl`` by default;
a held-out set is named on the command line and measured once) runs each question through the whole
answer route (``LocalKnowledgeBase.answer``: portal help, the law, then the search's tiers) over
the shipped knowledge base, catalogue entries included, and prints:

- top-1 / top-3 on in-scope questions: the first procedure the reply shows (the answer, the one a
  help or legal reply offers, or the first "did you mean" guess) and the first three it names;
  each question is answered as the chat answers it, read from as many procedures as the chat
  reads (``dialogs.flows.qa.READS``), since whether a card is given depends on its runners-up;
- out-of-scope declined: the share of questions no procedure answers (portal use, the law,
  general questions) that got no procedure card as the answer;
- precision of given answers: of the replies that give a procedure card as the answer, the share
  whose procedure is right;
- p50 / p99 latency of one answer on one core (best of 3 runs per question, each run on a
  newly built index, so that no answer is a kept result);
- the CPU time of an answer, the set's mean in its best run: steadier than wall time on a
  shared machine, where other people's work stretches every latency;
- every question that was missed, with what it got.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from dialogs.flows.qa import READS
from knowledge.base import LocalKnowledgeBase
from knowledge.questions import Answer, AnswerKind

TIMING_RUNS = 3


def shown(answer: Answer) -> list[str]:
    """The procedures a reply names, in the order it shows them."""
    result = answer.result
    if result.match is not None:
        return [result.match.code, *(h.code for h in result.alternatives)]
    return [h.code for h in result.candidates]


def measure(kb: LocalKnowledgeBase, rows: Sequence[dict[str, object]]) -> dict[str, object]:
    """The figures and the misses for one query set.

    Each timing run answers every question once from a newly built index: an index keeps the
    results of the queries it ranked, so a question asked again would be timed as a lookup.
    """
    timings: list[list[float]] = [[] for _ in rows]
    answers: list[Answer] = []
    cpu_ns: list[int] = []  # each run's CPU time, all its answers together
    for run in range(TIMING_RUNS):
        kb.replace(kb.procedures)
        cpu_ns.append(0)
        for row, times in zip(rows, timings, strict=True):
            cpu = time.process_time_ns()
            started = time.perf_counter_ns()
            answer = kb.answer(str(row["q"]), limit=READS)
            times.append((time.perf_counter_ns() - started) / 1e6)
            cpu_ns[-1] += time.process_time_ns() - cpu
            if not run:
                answers.append(answer)
    latencies = [min(times) for times in timings]
    top1 = top3 = declined = given = right = 0
    misses: list[str] = []
    for row, answer in zip(rows, answers, strict=True):
        query = str(row["q"])
        accept = set(row["accept"])  # type: ignore[call-overload]
        codes = shown(answer)
        card = answer.kind is AnswerKind.PROCEDURE
        if card:
            given += 1
            right += bool(accept) and codes[0] in accept
        if accept:
            top1 += bool(codes) and codes[0] in accept
            top3 += bool(accept.intersection(codes[:3]))
            if not codes or codes[0] not in accept:
                misses.append(f"in scope, got {answer.kind.value} {codes[:3]}: {query}")
        else:
            declined += not card
            if card:
                misses.append(f"out of scope, got a card {codes[:1]}: {query}")
    in_scope = sum(bool(r["accept"]) for r in rows)
    off = len(rows) - in_scope
    latencies.sort()
    return {
        "questions": len(rows),
        "in_scope": in_scope,
        "out_of_scope": off,
        "top1": top1 / in_scope if in_scope else None,
        "top3": top3 / in_scope if in_scope else None,
        "declined": declined / off if off else None,
        "precision": right / given if given else None,
        "given": given,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
        "cpu_ms": min(cpu_ns) / 1e6 / len(rows),
        "misses": misses,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Measure each query file and print its figures and misses."""
    parser = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__)
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        default=[Path(__file__).parent / "queries" / "letters.jsonl"],
        help="JSONL query files (default: the tuning set of letters)",
    )
    args = parser.parse_args(argv)
    kb = LocalKnowledgeBase.load()
    for path in args.files:
        rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
        kb.answer(str(rows[0]["q"]))  # warm caches before timing
        r = measure(kb, rows)
        print(
            f"== {path.name}: {r['questions']} questions ({r['in_scope']} in scope, "
            f"{r['out_of_scope']} out of scope), {len(kb):,} procedures"
        )
        for name in ("top1", "top3", "declined", "precision"):
            value = r[name]
            print(f"{name:<10} {'-' if value is None else f'{value:.2f}'}")
        print(f"answers given as a procedure card: {r['given']}")
        print(f"p50 ms     {r['p50_ms']:.3f}\np99 ms     {r['p99_ms']:.3f}")
        print(f"cpu ms     {r['cpu_ms']:.3f} per answer (best run)")
        for miss in r["misses"]:  # type: ignore[attr-defined]
            print(f"  - {miss}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
