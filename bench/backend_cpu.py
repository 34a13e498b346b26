"""CPU time the PostgreSQL server spent on one database, read from ``/proc``.

A benchmark's workers, its load and the PostgreSQL server share this machine's cores, so what
two workers can answer together is bounded by all three (``bench/workers.md``); the workers'
``/metrics`` count only their own CPU. Each PostgreSQL connection is a backend process whose
title names its database (``postgres: user database address state``): the backends of the
benchmark's scratch database are summed, whoever else uses the same server.

Backends are looked for among the postmaster's children every ``PERIOD`` seconds in a thread
of their own, so a connection the pool closes during the run still counts up to its last look,
and the looking is not counted as the load's CPU (it is this thread's, see ``Sampler.own``).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

PROC = Path("/proc")
PERIOD = 0.2
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command's name (None once it exited)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _cpu(fields: list[str]) -> float:
    """User and system seconds (``utime``, ``stime``: fields 14 and 15 of the stat line)."""
    return (int(fields[11]) + int(fields[12])) / TICK


def postmasters() -> list[int]:
    """The PostgreSQL servers on this machine: ``postgres`` processes whose parent is not one."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            parent = (entry / "stat").read_text().rpartition(")")[2].split()[1]
            if (PROC / parent / "comm").read_text().strip() != "postgres":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def backends(database: str, servers: list[int]) -> dict[int, float]:
    """CPU seconds so far of each backend connected to ``database``."""
    seen: dict[int, float] = {}
    marker = f" {database} ".encode()
    for server in servers:
        try:
            children = (PROC / str(server) / "task" / str(server) / "children").read_text()
        except OSError:
            continue
        for pid in map(int, children.split()):
            try:
                title = (PROC / str(pid) / "cmdline").read_bytes()
            except OSError:
                continue
            if marker not in title.replace(b"\0", b" ") + b" ":
                continue
            fields = _stat(pid)
            if fields is not None:
                seen[pid] = _cpu(fields)
    return seen


class Sampler:
    """PostgreSQL CPU spent on ``database`` between ``start`` and ``stop``."""

    def __init__(self, database: str) -> None:
        self._database = database
        self._servers = postmasters()
        self._first: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="backend-cpu", daemon=True)
        self.own = 0.0
        """CPU seconds this sampler's thread spent looking."""

    def start(self) -> None:
        """Note every backend's CPU so far, and keep looking until ``stop``."""
        self._first = backends(self._database, self._servers)
        self._last = dict(self._first)
        self._thread.start()

    def stop(self) -> float:
        """The backends' CPU seconds since ``start`` (those opened meanwhile from zero)."""
        self._stop.set()
        self._thread.join()
        self._last.update(backends(self._database, self._servers))
        return sum(cpu - self._first.get(pid, 0.0) for pid, cpu in self._last.items())

    def _watch(self) -> None:
        began = time.thread_time()
        while not self._stop.wait(PERIOD):
            self._last.update(backends(self._database, self._servers))
        self.own = time.thread_time() - began
