"""Long-lived loops that never die in silence: a loop that fails is logged and started again.

A worker whose inbox loop (or reminder loop) has died still answers ``/healthz`` and takes
webhooks, but nothing it keeps is ever answered: the worst kind of failure, because nobody
sees it. Every such loop therefore runs under :func:`supervised`: when it raises, or ends
though it should not, or is stopped by a cancellation nobody asked for (a library may leak a
``CancelledError``), the cause is logged with its traceback and the loop starts again after a
pause that doubles up to a minute.

A loop is stopped by setting its ``until`` event, never by cancelling it: a cancellation that
lands inside a unit of work on SQLite can leave the task waiting forever on a connection that
aiosqlite (0.22) never answers (the suite's intermittent idle hangs). The loop checks the
event between rounds; cancelling the supervising task still stops it, for callers that own
no database work.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

FIRST_PAUSE = 1.0
"""Seconds before a failed loop is started again; doubled after each failure in a row."""

LONGEST_PAUSE = 60.0

HEALTHY_RUN = 60.0
"""Seconds a loop must have run for its next failure to count as a first one again."""


async def supervised(
    name: str,
    loop: Callable[[], Awaitable[None]],
    until: asyncio.Event,
    *,
    first_pause: float = FIRST_PAUSE,
) -> None:
    """Run ``loop()`` until ``until`` is set, starting it again whenever it stops before.

    Args:
        name: what the log lines call the loop ("inbox", "reminders").
        loop: starts the loop; it runs until ``until`` is set, and then returns.
        until: set to stop the loop (between two of its rounds).
        first_pause: seconds before the first new start after a failure.
    """
    running = asyncio.get_running_loop()
    pause = first_pause
    while not until.is_set():
        started = running.time()
        try:
            await loop()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is None or task.cancelling():
                raise  # asked to stop
            logger.error("%s loop stopped by a stray cancellation", name, exc_info=True)
        except Exception:
            logger.exception("%s loop failed", name)
        else:
            if until.is_set():
                return
            logger.error("%s loop ended though it should run until stopped", name)
        if running.time() - started >= HEALTHY_RUN:
            pause = first_pause
        logger.warning("%s loop starts again in %.1f s", name, pause)
        await rest(until, pause)
        pause = min(pause * 2, LONGEST_PAUSE)


async def rest(until: asyncio.Event, seconds: float, wake: asyncio.Event | None = None) -> None:
    """Pause between two rounds of a loop: ``seconds``, or less when woken or told to stop.

    Only the waits are cancelled here, never a round's database work, which is why the loops
    pause through this and not through a bare ``asyncio.sleep`` that they are cancelled out of.
    """
    waits = [asyncio.ensure_future(until.wait())]
    if wake is not None:
        waits.append(asyncio.ensure_future(wake.wait()))
    try:
        await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
