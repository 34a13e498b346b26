"""Fixtures: the fake Bot API, a small real message handler, and the channel in both modes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.telegram import TOKEN, FakeTelegram
from storage.databases import database_url  # noqa: F401
from support.apps import serving, telegram_env
from support.clock import ManualClock
from support.procedures import BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE
from telegram_support import ScriptedHandler, WebhookHost

from bot.app import App
from integrations.ordering import MemoryInbox
from integrations.telegram import TelegramChannel
from knowledge.base import LocalKnowledgeBase


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def handler() -> ScriptedHandler:
    return ScriptedHandler()


@pytest.fixture
async def polling(
    telegram: FakeTelegram, handler: ScriptedHandler
) -> AsyncIterator[TelegramChannel]:
    """The channel long-polling the fake server."""
    channel = TelegramChannel(TOKEN, MemoryInbox(handler), api_url=telegram.url, poll_timeout=1)
    async with channel:
        yield channel


@pytest.fixture
async def webhook_host(
    telegram: FakeTelegram, handler: ScriptedHandler
) -> AsyncIterator[WebhookHost]:
    host = WebhookHost(telegram, handler)
    yield host
    await host.close()


@pytest.fixture
async def webhook(webhook_host: WebhookHost) -> AsyncIterator[TelegramChannel]:
    """The channel in webhook mode, its route served by a real aiohttp server."""
    channel = webhook_host.channel()
    await webhook_host.serve(channel)
    async with channel:
        yield channel


@pytest.fixture
async def app(telegram: FakeTelegram, tmp_path: Path) -> AsyncIterator[App]:
    """``motcua serve`` with Telegram on the fake and the sandbox portal in-process (test
    modules with other needs define their own ``app``)."""
    env = {
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_PORTAL_SANDBOX_PORT": "0",
        **telegram_env(telegram),
    }
    knowledge = LocalKnowledgeBase([BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE])
    async with serving(env, knowledge=knowledge, clock=ManualClock()) as built:
        built.start_background()
        yield built
