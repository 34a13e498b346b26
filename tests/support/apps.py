"""The whole application as ``motcua serve`` builds it, served on a local port, with the
settings that point a platform's adapter at its fake."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from aiohttp import web
from fakes.telegram import TOKEN, FakeTelegram
from fakes.zalo import FakeZalo
from sqlalchemy import text

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from dialogs.ports import Clock, KnowledgeBase
from support.intervals import SHORT_INTERVALS
from support.schema import migrated


@asynccontextmanager
async def serving(
    env: Mapping[str, str], *, knowledge: KnowledgeBase, clock: Clock
) -> AsyncIterator[App]:
    """The app built from ``env`` (over a migrated database), listening on a free port.

    The port is bound before the app is built, so its public URL (``app.settings.public_url``)
    is known in time for Telegram to register its webhook there.
    """
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        public_url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        settings = Settings.from_env({**SHORT_INTERVALS, **env, "MOTCUA_PUBLIC_URL": public_url})
        await migrated(settings.database_url)
        async with build_app(settings, knowledge=knowledge, clock=clock) as built:
            runner = web.AppRunner(web_application(built), handle_signals=False)
            await runner.setup()
            await web.SockSite(runner, listener).start()
            try:
                yield built
            finally:
                await runner.cleanup()


async def said_in(app: App, channel: str) -> list[str]:
    """What the message log says citizens of ``channel`` wrote: one row per turn run."""
    async with app.database.transaction() as session:
        rows = await session.execute(
            text(
                "SELECT text FROM message_log WHERE channel = :channel AND direction = 'in' "
                "ORDER BY id"
            ),
            {"channel": channel},
        )
        return [row[0] for row in rows]


async def inbox_done(app: App) -> int:
    """How many inbox rows are done: their turn run and every reply sent and marked."""
    async with app.database.transaction() as session:
        found = await session.scalar(text("SELECT count(*) FROM inbox WHERE status = 'done'"))
        return int(found or 0)


def telegram_env(telegram: FakeTelegram) -> dict[str, str]:
    """The settings of a Telegram bot on the fake Bot API, paced fast enough for a test."""
    return {
        "MOTCUA_TELEGRAM_TOKEN": TOKEN,
        "MOTCUA_TELEGRAM_API_URL": telegram.url,
        "MOTCUA_TELEGRAM_CHAT_RATE": "50",
    }


def zalo_env(zalo: FakeZalo) -> dict[str, str]:
    """The settings of an Official Account on the fake Zalo, with a freshly issued token pair."""
    access, refresh = zalo.issue_tokens()
    return {
        "MOTCUA_ZALO_APP_ID": zalo.app_id,
        "MOTCUA_ZALO_OA_SECRET": zalo.oa_secret,
        "MOTCUA_ZALO_APP_SECRET": zalo.app_secret,
        "MOTCUA_ZALO_ACCESS_TOKEN": access,
        "MOTCUA_ZALO_REFRESH_TOKEN": refresh,
        "MOTCUA_ZALO_API_URL": zalo.api_url,
        "MOTCUA_ZALO_OAUTH_URL": zalo.oauth_url,
    }
