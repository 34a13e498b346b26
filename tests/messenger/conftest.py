"""Fixtures for the Messenger channel: the fake Graph API and the real adapter on a real port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fakes.messenger import FakeGraphApi
from messenger_support import (
    APP_SECRET,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    AdapterFactory,
    Harness,
    serve,
)
from support.clock import ManualClock
from support.handlers import RecordingHandler
from support.secret_store import MemorySecrets

from dialogs.ports import MessageHandler, SecretStore
from integrations.messenger import MessengerAdapter
from integrations.ordering import MemoryInbox


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def graph(clock: ManualClock) -> AsyncIterator[FakeGraphApi]:
    async with FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=clock) as fake:
        yield fake


@pytest.fixture
def make_adapter(graph: FakeGraphApi, clock: ManualClock) -> AdapterFactory:
    """Builds adapters pointed at the fake, with a short backoff so retries are quick."""

    def make(handler: MessageHandler, store: SecretStore) -> MessengerAdapter:
        return MessengerAdapter(
            MemoryInbox(handler),
            page_token=PAGE_TOKEN,
            app_secret=APP_SECRET,
            verify_token=VERIFY_TOKEN,
            api_url=graph.api_url,
            store=store,
            clock=clock,
            retry_delay=0.001,
        )

    return make


@pytest.fixture
async def harness(
    graph: FakeGraphApi, clock: ManualClock, make_adapter: AdapterFactory
) -> AsyncIterator[Harness]:
    handler = RecordingHandler()
    store = MemorySecrets()
    async with make_adapter(handler, store) as adapter:
        runner, graph.webhook_url = await serve(adapter)
        try:
            yield Harness(graph, adapter, handler, clock, store)
        finally:
            await runner.cleanup()
