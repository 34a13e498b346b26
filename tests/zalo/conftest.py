"""Fixtures of the Zalo tests: the fake platform on a clock tests control, and the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.zalo import FakeZalo
from support.clock import ManualClock
from support.handlers import RecordingHandler, echo
from support.secret_store import MemorySecrets
from zalo_support import running_bot

from integrations.zalo import ZaloChannel


@pytest.fixture
def clock() -> ManualClock:
    """One clock for the platform and the bot, so token expiry and the 7-day window agree."""
    return ManualClock()


@pytest.fixture
async def zalo(clock: ManualClock) -> AsyncIterator[FakeZalo]:
    """The fake Zalo platform, listening on a local port."""
    async with FakeZalo(clock=clock) as fake:
        yield fake


@pytest.fixture
def store() -> MemorySecrets:
    """Where the bot keeps its rotated tokens."""
    return MemorySecrets()


@pytest.fixture
def handler() -> RecordingHandler:
    """A handler that echoes and records every message."""
    return RecordingHandler(echo)


@pytest.fixture
async def bot(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecrets
) -> AsyncIterator[ZaloChannel]:
    """The bot: the Zalo channel behind a real aiohttp server, its webhook given to the fake."""
    async with running_bot(zalo, handler, store) as channel:
        yield channel
