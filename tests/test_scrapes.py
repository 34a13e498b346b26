"""A run's counters are read across restarts as Prometheus's ``increase()`` reads them
(``bench/scrapes.py``, used by ``python -m bench.load --faults`` and ``make faults``).

Each process is a prometheus-client registry of its own, with the counter, histogram and gauges
a motcua process exposes and its start time, scraped as text: a killed process's counts up to
its last scrape stay in the totals, its new life's counts are added, and the restart is
counted, also when the new life counted past the old values before it was first scraped.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from support.waiting import eventually

from bench.scrapes import Scrapes, scraping, series
from bench.workers import free_port


class Process:
    """One life of a worker: metrics from zero and its own start time."""

    def __init__(self, started: float | None) -> None:
        self.registry = CollectorRegistry()
        if started is not None:
            Gauge("process_start_time_seconds", "", registry=self.registry).set(started)
        self.messages = Counter("motcua_messages_in", "", ["channel"], registry=self.registry)
        self.latency = Histogram(
            "motcua_reply_latency_seconds", "", buckets=(0.1, 1.0), registry=self.registry
        )
        self.degraded = Gauge("motcua_backend_degraded", "", ["backend"], registry=self.registry)

    def count(self, messages: int) -> Process:
        self.messages.labels("web").inc(messages)
        for _ in range(messages):
            self.latency.observe(0.05)
        return self

    def exposition(self) -> str:
        return generate_latest(self.registry).decode()


def test_a_killed_process_counts_until_its_last_scrape_and_its_new_life_from_zero() -> None:
    scrapes = Scrapes()
    first, other = Process(started=100.0), Process(started=100.0)
    scrapes.observe("a", first.count(5).exposition())
    scrapes.observe("b", other.count(4).exposition())
    scrapes.snapshot(1.0)
    first.count(3)  # counted after the last scrape, then killed: gone, as for Prometheus
    scrapes.snapshot(2.0)  # "a" did not answer this round
    assert scrapes.total("motcua_messages_in_total", channel="web") == 9

    again = Process(started=130.0)
    scrapes.observe("a", again.count(2).exposition())
    scrapes.observe("b", other.count(1).exposition())
    scrapes.snapshot(3.0)

    assert scrapes.total("motcua_messages_in_total", channel="web") == 5 + 2 + 4 + 1
    assert scrapes.live("motcua_messages_in_total", channel="web") == 2 + 5
    assert scrapes.total("motcua_reply_latency_seconds_count") == 12
    assert scrapes.total("motcua_reply_latency_seconds_bucket", le="0.1") == 12
    assert (scrapes.restarts("a"), scrapes.restarts("b"), scrapes.restarts()) == (1, 0, 1)


def test_a_new_life_that_counted_past_the_old_before_its_first_scrape_is_a_restart() -> None:
    scrapes = Scrapes()
    scrapes.observe("a", Process(started=100.0).count(5).exposition())
    scrapes.observe("a", Process(started=130.0).count(9).exposition())
    scrapes.snapshot(1.0)

    assert scrapes.total("motcua_messages_in_total", channel="web") == 14
    assert scrapes.restarts("a") == 1


def test_a_drop_without_a_start_time_is_taken_for_a_restart_of_that_counter() -> None:
    scrapes = Scrapes()
    scrapes.observe("a", Process(started=None).count(5).exposition())
    scrapes.observe("a", Process(started=None).count(2).exposition())
    scrapes.snapshot(1.0)

    assert scrapes.total("motcua_messages_in_total", channel="web") == 7
    assert scrapes.restarts() == 0


def test_increases_and_gauge_peaks_are_read_between_the_snapshots_of_a_while() -> None:
    scrapes = Scrapes()
    process = Process(started=100.0)
    scrapes.observe("a", process.count(5).exposition())
    scrapes.snapshot(10.0)
    process.degraded.labels("redis").set(1)
    scrapes.observe("a", process.count(3).exposition())
    scrapes.snapshot(20.0)
    process.degraded.labels("redis").set(0)
    scrapes.observe("a", Process(started=150.0).count(4).exposition())
    scrapes.snapshot(30.0)

    during = scrapes.increases(15.0, 25.0)
    assert during[series("motcua_messages_in_total", channel="web")] == 3
    assert series("restarts", target="a") not in during
    after = scrapes.increases(25.0, 35.0)
    assert after[series("motcua_messages_in_total", channel="web")] == 4
    assert after[series("restarts", target="a")] == 1
    assert scrapes.peak("motcua_backend_degraded", 15.0, 25.0, backend="redis") == 1
    assert scrapes.peak("motcua_backend_degraded", 25.0, 35.0, backend="redis") == 0
    assert scrapes.gauge("motcua_backend_degraded", backend="redis") == 0


@asynccontextmanager
async def serving(process: Process, port: int) -> AsyncIterator[None]:
    """``process``'s ``/metrics`` on ``port`` until the block ends (the process dies)."""

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(text=process.exposition())

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield
    finally:
        await runner.cleanup()


async def test_scraping_keeps_a_dead_targets_counts_and_adds_its_next_lifes() -> None:
    port, other_port = free_port(), free_port()
    targets = {"worker": f"http://127.0.0.1:{port}", "other": f"http://127.0.0.1:{other_port}"}
    first, other = Process(started=100.0).count(5), Process(started=100.0).count(4)
    messages = series("motcua_messages_in_total", channel="web")

    async def counted(total: float) -> bool:
        return scrapes.total("motcua_messages_in_total", channel="web") == total

    async with AsyncExitStack() as stack:
        await stack.enter_async_context(serving(other, other_port))
        first_life = AsyncExitStack()
        await first_life.enter_async_context(serving(first, port))
        scrapes = await stack.enter_async_context(scraping(targets, every=0.02))
        assert scrapes.history[0].counters[messages] == 5 + 4  # every target from the start
        await asyncio.sleep(0.1)
        await first_life.aclose()  # killed: it answers no more
        await asyncio.sleep(0.1)  # rounds while nobody answers there
        again = Process(started=130.0)
        await stack.enter_async_context(serving(again, port))
        again.count(2)
        await eventually(lambda: counted(5 + 4 + 2), within=10)

    assert scrapes.live("motcua_messages_in_total", channel="web") == 2 + 4
    assert scrapes.restarts("worker") == 1
    assert scrapes.restarts("other") == 0
