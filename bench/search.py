"""Search benchmark: accuracy, rejection, latency, build time and memory, against two baselines.

``python -m bench.search`` prints one table per query file (dev, eval, letters, holdout3,
holdout2, holdout) for the motcua search and two baselines: plain rapidfuzz matching of the query
against the names, and BM25 (bm25s) over diacritic-folded names. ``--scale 50000`` repeats the
run on knowledge bases grown with generated variants of real procedures (2.8k, 10k, 25k, 50k) to
show how latency and memory grow. Each engine runs in its own process so its memory is measured
alone.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

QUERIES = Path(__file__).parent / "queries"
# The scale curve runs on the last file: the held-out set nobody has read.
DEFAULT_FILES = (
    "dev.jsonl",
    "eval.jsonl",
    "letters.jsonl",
    "holdout3.jsonl",
    "holdout2.jsonl",
    "holdout.jsonl",
)
ENGINES = ("motcua", "bm25", "fuzzy")
SCALE_POINTS = (10_000, 25_000, 50_000)
TIMING_RUNS = 3  # each query's latency is its best of 3 runs: the machine may be shared
# Each run ranks on an index that has kept no results: an index keeps the results it ranked
# (``RESULTS_KEPT``), so a query ranked again would be timed as a lookup.
FUZZY_CUTOFF = 60.0  # the plain fuzzy baseline's rejection threshold (WRatio, 0-100)

Ranker = Callable[[str], list[str]]  # query -> ranked codes, [] when nothing fits
Forget = Callable[[], None]  # drop every result the engine kept, so that the next run ranks


@dataclass(frozen=True, slots=True)
class Query:
    """One benchmark query: the codes that count as right (none for an off-topic message)."""

    q: str
    accept: frozenset[str]
    kind: str


def read_queries(path: Path) -> list[Query]:
    """A JSONL query file (``q``, ``accept``, ``kind``)."""
    rows = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return [Query(r["q"], frozenset(r["accept"]), r.get("kind", "")) for r in rows]


def grow(procedures: Sequence[object], size: int, seed: int = 7) -> list[object]:
    """The procedures plus generated variants of them, ``size`` in all.

    A variant is a real procedure with a qualifier taken from another real name ("... đối với
    <someone>"), so the grown base has the same vocabulary and many near-duplicates.
    """
    from knowledge.model import Procedure

    real = [p for p in procedures if isinstance(p, Procedure)]
    tails = sorted({p.name.split(" đối với ", 1)[1] for p in real if " đối với " in p.name})
    rng = random.Random(seed)
    grown: list[object] = list(real)
    for i in range(max(0, size - len(real))):
        base = real[i % len(real)]
        name = f"{base.name} đối với {rng.choice(tails)}"
        grown.append(replace(base, code=f"9.{i:06d}", name=name))
    return grown


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _build(engine: str, procedures: Sequence[object]) -> tuple[Ranker, Forget]:
    from knowledge.model import Procedure
    from knowledge.text import fold

    procs = [p for p in procedures if isinstance(p, Procedure)]
    codes = [p.code for p in procs]
    if engine == "motcua":
        from knowledge.base import LocalKnowledgeBase

        kb = LocalKnowledgeBase(procs)

        def motcua(q: str) -> list[str]:
            r = kb.search(q, limit=3)
            return [r.match.code, *(a.code for a in r.alternatives)] if r.match else []

        def forget() -> None:
            kb.replace(kb.procedures)  # a new index, built the same way, has kept nothing

        return motcua, forget
    if engine == "bm25":
        import bm25s
        import numpy as np

        retriever = bm25s.BM25()
        retriever.index([fold(p.name).split() for p in procs], show_progress=False)

        def bm25(q: str) -> list[str]:
            scores = retriever.get_scores(fold(q).split())
            top = np.argsort(-scores)[:3]
            return [codes[i] for i in top if scores[i] > 0]

        return bm25, _keeps_nothing
    from rapidfuzz import process, utils

    names = [p.name for p in procs]

    def fuzzy(q: str) -> list[str]:
        found = process.extract(
            q, names, processor=utils.default_process, limit=3, score_cutoff=FUZZY_CUTOFF
        )
        return [codes[i] for _, _, i in found]

    return fuzzy, _keeps_nothing


def _keeps_nothing() -> None:
    """The baselines keep no results: each run ranks anyway."""


def worker(engine: str, kb_path: str | None, size: int, files: Sequence[str]) -> dict[str, object]:
    """Build one engine and run every query file; the measurements as a JSON-ready dict."""
    from knowledge.store import load_knowledge_base

    started = time.perf_counter()
    procedures: list[object] = list(load_knowledge_base(kb_path))
    load_s = time.perf_counter() - started
    if size > len(procedures):
        procedures = grow(procedures, size)
    gc.collect()
    rss_before = _rss_bytes()
    started = time.perf_counter()
    rank, forget = _build(engine, procedures)
    build_s = time.perf_counter() - started
    gc.collect()
    rss_mb = (_rss_bytes() - rss_before) / 2**20
    results: dict[str, object] = {}
    for name in files:
        queries = read_queries(Path(name))
        for q in queries[:20]:  # warm the engine's other caches before timing
            rank(q.q)
        timings: list[list[float]] = [[] for _ in queries]
        ranked: list[list[str]] = []
        for run in range(TIMING_RUNS):
            forget()
            for q, times in zip(queries, timings, strict=True):
                t = time.perf_counter_ns()
                codes = rank(q.q)
                times.append((time.perf_counter_ns() - t) / 1e6)
                if not run:
                    ranked.append(codes)
        latencies = [min(times) for times in timings]
        top1 = top3 = rejected = 0
        for q, codes in zip(queries, ranked, strict=True):
            if not q.accept:
                rejected += not codes
            else:
                top1 += bool(codes) and codes[0] in q.accept
                top3 += any(c in q.accept for c in codes[:3])
        in_scope = sum(bool(q.accept) for q in queries)
        off = len(queries) - in_scope
        latencies.sort()
        results[name] = {
            "queries": len(queries),
            "in_scope": in_scope,
            "off_topic": off,
            "top1": top1 / in_scope if in_scope else None,
            "top3": top3 / in_scope if in_scope else None,
            "rejection": rejected / off if off else None,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
        }
    return {
        "engine": engine,
        "procedures": len(procedures),
        "kb_load_s": load_s,
        "build_s": build_s,
        "rss_mb": rss_mb,
        "files": results,
    }


def _run_worker(engine: str, kb: str | None, size: int, files: Sequence[str]) -> dict[str, object]:
    cmd = [sys.executable, "-m", "bench.search", "--worker", engine, "--scale", str(size)]
    cmd += ["--kb", kb] if kb else []
    cmd += ["--queries", *files]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=_one_core_env())
    return dict(json.loads(out.stdout))


def _one_core_env() -> dict[str, str]:
    """Keep numerical libraries to one thread: the figures are per core."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        env[var] = "1"
    return env


def _fmt(value: object, digits: int = 2) -> str:
    return "   -" if value is None else f"{value:.{digits}f}"


def print_tables(runs: Sequence[dict[str, object]], files: Sequence[str]) -> None:
    """One table per query file, one row per engine."""
    for name in files:
        first = runs[0]["files"][name]  # type: ignore[index]
        print(
            f"\n== {Path(name).name}: {first['queries']} queries "
            f"({first['in_scope']} in scope, {first['off_topic']} off-topic), "
            f"{runs[0]['procedures']:,} procedures"
        )
        print(
            f"{'engine':<8} {'top-1':>6} {'top-3':>6} {'reject':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'build s':>8} {'RSS MB':>7}"
        )
        for run in runs:
            r = run["files"][name]  # type: ignore[index]
            print(
                f"{run['engine']:<8} {_fmt(r['top1']):>6} {_fmt(r['top3']):>6} "
                f"{_fmt(r['rejection']):>7} {_fmt(r['p50_ms'], 3):>7} {_fmt(r['p99_ms'], 3):>7} "
                f"{_fmt(run['build_s']):>8} {_fmt(run['rss_mb'], 1):>7}"
            )
    print(
        f"\nknowledge-base file load: {_fmt(runs[0]['kb_load_s'])} s, then each engine's index "
        f"build (build s). Latency: one query on one core, best of {TIMING_RUNS} runs. RSS: "
        "resident memory added by the index, each engine measured in its own process."
    )


def print_curve(runs: Sequence[dict[str, object]], name: str) -> None:
    """How build time, memory, latency and accuracy grow with the knowledge base."""
    print(f"\n== scale curve ({Path(name).name})")
    print(
        f"{'procedures':>10} {'engine':<8} {'build s':>8} {'RSS MB':>7} {'p50 ms':>7} "
        f"{'p99 ms':>7} {'top-1':>6} {'reject':>7}"
    )
    for run in runs:
        r = run["files"][name]  # type: ignore[index]
        print(
            f"{run['procedures']:>10,} {run['engine']:<8} {_fmt(run['build_s']):>8} "
            f"{_fmt(run['rss_mb'], 1):>7} {_fmt(r['p50_ms'], 3):>7} {_fmt(r['p99_ms'], 3):>7} "
            f"{_fmt(r['top1']):>6} {_fmt(r['rejection']):>7}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__)
    parser.add_argument("--queries", nargs="+", metavar="FILE", help="JSONL query files")
    parser.add_argument("--kb", help="knowledge-base file (default: the shipped one)")
    parser.add_argument("--scale", type=int, default=0, metavar="N", help="grow the KB up to N")
    parser.add_argument("--engines", nargs="+", choices=ENGINES, default=list(ENGINES))
    parser.add_argument("--worker", choices=ENGINES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    files = [str(Path(f)) for f in args.queries or [QUERIES / f for f in DEFAULT_FILES]]
    if args.worker:
        print(json.dumps(worker(args.worker, args.kb, args.scale, files)))
        return 0
    runs = [_run_worker(e, args.kb, 0, files) for e in args.engines]
    print_tables(runs, files)
    if args.scale:
        points = [p for p in SCALE_POINTS if p < args.scale] + [args.scale]
        curve = list(runs)
        for size in points:
            curve += [_run_worker(e, args.kb, size, files[-1:]) for e in args.engines]
        curve.sort(key=lambda r: (r["procedures"], args.engines.index(r["engine"])))
        print_curve(curve, files[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
