"""A process loads the libraries of what it is configured for, not of every channel and
feature: built from settings alone, an app without Redis or Telegram never imports redis-py or
python-telegram-bot (they cost memory and start-up time in every worker that does not use
them), and one configured with them does."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from fakes.telegram import TOKEN, FakeTelegram
from reliability.servers import small_knowledge

BUILD_AND_LIST = """
import asyncio, sys
from bot.app import build_app
from bot.config import Settings
from bot.server import prepare_database

async def main():
    settings = Settings.from_env()
    await prepare_database(settings.database_url)
    async with build_app(settings):
        print(" ".join(m for m in ("redis", "telegram") if m in sys.modules))

asyncio.run(main())
"""
"""Builds the app as ``motcua serve`` does, then prints which optional libraries are loaded."""


async def loaded(tmp_path: Path, env: dict[str, str]) -> set[str]:
    """The optional libraries an app built from ``env`` has imported."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        BUILD_AND_LIST,
        env={
            **clean,
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),  # starts in a moment
            "MOTCUA_PORTAL_SANDBOX_PORT": "0",
            **env,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return set(out.decode().split())


async def test_nothing_configured_loads_neither_redis_nor_telegram(tmp_path: Path) -> None:
    assert await loaded(tmp_path, {}) == set()


async def test_what_is_configured_is_loaded(tmp_path: Path, redis_url: str) -> None:
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_REDIS_URL": redis_url,
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
        }
        assert await loaded(tmp_path, env) == {"redis", "telegram"}
