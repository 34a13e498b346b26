"""Fixtures of the Zalo tests: the fake platform on a clock tests control, and the bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.zalo import FakeClock, FakeZalo
from zalo_support import MemorySecretStore, RecordingHandler, running_bot

from integrations.zalo import ZaloChannel


@pytest.fixture
def clock() -> FakeClock:
    """One clock for the platform and the bot, so token expiry and the 7-day window agree."""
    return FakeClock()


@pytest.fixture
async def zalo(clock: FakeClock) -> AsyncIterator[FakeZalo]:
    """The fake Zalo platform, listening on a local port."""
    async with FakeZalo(clock=clock) as fake:
        yield fake


@pytest.fixture
def store() -> MemorySecretStore:
    """Where the bot keeps its rotated tokens."""
    return MemorySecretStore()


@pytest.fixture
def handler() -> RecordingHandler:
    """A handler that echoes and records every message."""
    return RecordingHandler()


@pytest.fixture
async def bot(
    zalo: FakeZalo, handler: RecordingHandler, store: MemorySecretStore
) -> AsyncIterator[ZaloChannel]:
    """The bot: the Zalo channel behind a real aiohttp server, its webhook given to the fake."""
    async with running_bot(zalo, handler, store) as channel:
        yield channel
