"""Counter totals over a run from periodic scrapes of processes that die and start again.

Each motcua process counts in its own memory (``bot.metrics``), from zero when it starts: the
counts of a killed process die with it, and summing the live processes' ``/metrics`` at the end
of a run leaves them out. Prometheus scrapes every few seconds instead and reads counters with
``increase()``, which takes a drop for a restart and keeps what the process had counted until
its last scrape; :class:`Scrapes` reads a run's scrapes the same way. A restart is told by
``process_start_time_seconds`` changing (Prometheus's ``changes()`` of it), so one that counted
past its old values before its first scrape is still seen, and is counted as a restart.

What a process counted after its last scrape before it died is lost, as it is to Prometheus:
scraping often keeps that short. The processes do not keep their counts across a restart
(in the database or Redis) instead: a count would then cost a write on every message, the
failures of a backend could not be counted in that backend while it is away, and Prometheus,
which already reads restarts this way, would see counters that never drop and could not tell
a restart from a quiet spell.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

Series = tuple[str, frozenset[tuple[str, str]]]
"""A sample's name and labels."""

START = ("process_start_time_seconds", frozenset())
"""The series that changes when the process behind a target is a new one."""

MONOTONIC = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
}
"""By family type, the samples that only grow while a process lives (``_created`` is a time)."""


def series(name: str, **labels: str) -> Series:
    """The series of ``name`` with exactly ``labels``."""
    return (name, frozenset(labels.items()))


def read(exposition: str) -> tuple[dict[Series, float], dict[Series, float]]:
    """The counters (every sample that only grows) and the gauges of one scrape's text."""
    counters: dict[Series, float] = {}
    gauges: dict[Series, float] = {}
    for family in text_string_to_metric_families(exposition):
        grows = MONOTONIC.get(family.type)
        for sample in family.samples:
            key = (sample.name, frozenset(sample.labels.items()))
            if grows is None:
                if family.type == "gauge":
                    gauges[key] = sample.value
            elif sample.name.endswith(grows):
                counters[key] = sample.value
    return counters, gauges


@dataclass(frozen=True)
class Snapshot:
    """Everything known after one scrape."""

    at: float
    counters: Mapping[Series, float]
    """Every target's counts since the run began, across its restarts."""
    gauges: Mapping[Series, float]
    """The gauges' last values, summed over the targets."""
    restarts: Mapping[str, int]
    """Restarts seen so far, by target."""


@dataclass
class Scrapes:
    """Scrapes of named targets, read as ``increase()`` reads them."""

    history: list[Snapshot] = field(default_factory=list)
    _starts: dict[str, float | None] = field(default_factory=dict)
    _last: dict[str, dict[Series, float]] = field(default_factory=dict)
    _gauges: dict[str, dict[Series, float]] = field(default_factory=dict)
    _ended: Counter[Series] = field(default_factory=Counter)
    """What ended lives counted until their last scrape, and counts before a drop."""
    _restarts: Counter[str] = field(default_factory=Counter)

    def observe(self, target: str, exposition: str) -> None:
        """One scrape of ``target``."""
        counters, gauges = read(exposition)
        last = self._last.get(target, {})
        start = gauges.get(START)
        if target in self._starts and start != self._starts[target]:
            self._restarts[target] += 1
            self._ended.update(last)
            last = {}
        for key, before in last.items():
            if counters.get(key, 0.0) < before:  # a reset the start time did not show
                self._ended[key] += before
        self._starts[target] = start
        self._last[target] = counters
        self._gauges[target] = gauges

    def snapshot(self, at: float) -> Snapshot:
        """Keep the totals as they are at ``at`` (after a scrape)."""
        totals = Counter(self._ended)
        for counters in self._last.values():
            totals.update(counters)
        gauges: Counter[Series] = Counter()
        for values in self._gauges.values():
            gauges.update(values)
        taken = Snapshot(at, dict(totals), dict(gauges), dict(self._restarts))
        self.history.append(taken)
        return taken

    def total(self, name: str, **labels: str) -> float:
        """A counter's count over the whole run, every life of every target together."""
        return self._last_snapshot().counters.get(series(name, **labels), 0.0)

    def live(self, name: str, **labels: str) -> float:
        """What the live processes' last scrapes show of a counter, summed: the total less what
        restarted processes had counted before."""
        key = series(name, **labels)
        return sum(counters.get(key, 0.0) for counters in self._last.values())

    def gauge(self, name: str, **labels: str) -> float:
        """A gauge's last value, summed over the targets."""
        return self._last_snapshot().gauges.get(series(name, **labels), 0.0)

    def restarts(self, target: str | None = None) -> int:
        """Restarts seen, of ``target`` or of all targets."""
        restarts = self._last_snapshot().restarts
        return restarts.get(target, 0) if target else sum(restarts.values())

    def increases(self, begin: float, end: float) -> dict[Series, float]:
        """Every counter's increase from the last snapshot before ``begin`` to the last before
        ``end`` (the counts of that while, seen by its scrapes); those that grew only."""
        first, last = self.at(begin), self.at(end)
        grown = {
            key: value - first.counters.get(key, 0.0)
            for key, value in last.counters.items()
            if value > first.counters.get(key, 0.0)
        }
        for target, count in last.restarts.items():
            if count > first.restarts.get(target, 0):
                grown[series("restarts", target=target)] = count - first.restarts.get(target, 0)
        return grown

    def peak(self, name: str, begin: float, end: float, **labels: str) -> float:
        """A gauge's highest summed value in the snapshots taken from ``begin`` to ``end``."""
        key = series(name, **labels)
        seen = [s.gauges.get(key, 0.0) for s in self.history if begin <= s.at <= end]
        return max(seen, default=0.0)

    def at(self, moment: float) -> Snapshot:
        """The last snapshot taken at ``moment`` or before (an empty one before the first)."""
        before = [s for s in self.history if s.at <= moment]
        return before[-1] if before else Snapshot(moment, {}, {}, {})

    def _last_snapshot(self) -> Snapshot:
        return self.history[-1] if self.history else Snapshot(0.0, {}, {}, {})


@contextlib.asynccontextmanager
async def scraping(targets: Mapping[str, str], every: float = 1.0) -> AsyncIterator[Scrapes]:
    """Scrape each target's ``/metrics`` (name -> base URL) every ``every`` seconds while the
    block runs, a snapshot after every scrape; all together once before the block (so the
    first snapshot has every target) and once at its end. Each target is scraped on its own
    meanwhile, so one slow to answer (its database away) delays no other's; one that does not
    answer within a few periods (dead, restarting) is left out until it does, as Prometheus
    marks it down and keeps the rest."""
    scrapes = Scrapes()
    timeout = aiohttp.ClientTimeout(total=max(5.0, 5 * every))
    async with aiohttp.ClientSession(timeout=timeout) as http:

        async def fetch(target: str) -> str | None:
            try:
                async with http.get(targets[target] + "/metrics") as response:
                    return await response.text() if response.status == 200 else None
            except (aiohttp.ClientError, TimeoutError):
                return None

        async def all_at_once() -> None:
            texts = await asyncio.gather(*(fetch(target) for target in targets))
            for target, exposition in zip(targets, texts, strict=True):
                if exposition is not None:
                    scrapes.observe(target, exposition)
            scrapes.snapshot(time.monotonic())

        async def keep_scraping(target: str) -> None:
            while True:
                began = time.monotonic()
                exposition = await fetch(target)
                if exposition is not None:
                    scrapes.observe(target, exposition)
                    scrapes.snapshot(time.monotonic())
                await asyncio.sleep(max(0.0, every - (time.monotonic() - began)))

        await all_at_once()
        tasks = [asyncio.create_task(keep_scraping(target)) for target in targets]
        try:
            yield scrapes
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await all_at_once()
