"""Where a test run's wall time goes: each test's start, end and CPU, per pytest-xdist worker.

``pytest -n 2 -p bench.suite_timeline`` writes one JSON file per worker into
``$MOTCUA_TIMELINE_DIR`` (``.timeline`` by default); ``python -m bench.suite_timeline`` then prints
when each worker finished its last test (a tail shows as one worker ending long after the
others) and the modules with the most wall time beside the CPU their worker and the processes
it waited for used (wall far above CPU: the tests wait).
"""

from __future__ import annotations

import json
import os
import resource
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

FOLDER = Path(os.environ.get("MOTCUA_TIMELINE_DIR", ".timeline"))
_ROWS: list[dict[str, object]] = []


def _cpu_seconds() -> float:
    """CPU of this process and of the children it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    start, cpu = time.time(), _cpu_seconds()
    try:
        return (yield)
    finally:
        _ROWS.append(
            {"test": item.nodeid, "start": start, "end": time.time(), "cpu": _cpu_seconds() - cpu}
        )


def pytest_sessionfinish() -> None:
    if _ROWS:
        FOLDER.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (FOLDER / f"{worker}.json").write_text(json.dumps(_ROWS))


def main() -> None:
    workers = {path.stem: json.loads(path.read_text()) for path in sorted(FOLDER.glob("*.json"))}
    began = min(row["start"] for rows in workers.values() for row in rows)
    for worker, rows in workers.items():
        last = max(row["end"] for row in rows) - began
        cpu = sum(row["cpu"] for row in rows)
        print(f"{worker}: {len(rows)} tests, last ended at {last:.0f} s, {cpu:.0f} s CPU")
    modules: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for rows in workers.values():
        for row in rows:
            totals = modules[row["test"].split("::")[0]]
            totals[0] += row["end"] - row["start"]
            totals[1] += row["cpu"]
    print("  wall s   CPU s  module")
    for module, (wall, cpu) in sorted(modules.items(), key=lambda kv: -kv[1][0])[:30]:
        print(f"{wall:8.1f} {cpu:7.1f}  {module}")


if __name__ == "__main__":
    main()
