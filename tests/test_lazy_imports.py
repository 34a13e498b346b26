"""A process loads the libraries of what it is configured for, not of every channel and
feature: a worker built from settings alone, as ``motcua serve`` builds it, never imports
redis-py or python-telegram-bot without Redis or Telegram, nor what it only needs later or
elsewhere (Alembic, the holiday calendars, the date parser, the phone number rules, the
communes' tables, the PostgreSQL driver on SQLite); nor does a command that prepares its database
itself (``motcua chat``) load Alembic and the migration scripts once the database is migrated;
they cost memory and start-up time in every worker that does not use them. One configured with
Redis and Telegram loads those two, and python-telegram-bot only to poll: a webhook worker
calls the Bot API without it."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

import pytest
from fakes.telegram import TOKEN, FakeTelegram
from reliability.servers import small_knowledge
from support.schema import migrated_before_start

from bot.cli import COMMANDS, build_parser

pytestmark = pytest.mark.slow

OPTIONAL = (
    "redis",
    "telegram",
    "alembic",
    "holidays",
    "dateparser",
    "asyncpg",
    "phonenumbers",
    "vietnam_provinces",
)

BUILD_AND_LIST = f"""
import asyncio, sys
from bot.app import build_app
from bot.config import Settings
from bot.server import prepare_apart

async def main():
    settings = Settings.from_env()
    await prepare_apart(settings)
    async with build_app(settings):
        print(" ".join(m for m in {OPTIONAL!r} if m in sys.modules))

asyncio.run(main())
"""
"""Prepares the database and builds the app as ``motcua serve`` does, then prints which
optional libraries are loaded."""

FIRST_DATE = """
import sys
from datetime import UTC, datetime
from dialogs.dates import parse_moment

print("dateparser" in sys.modules, parse_moment("7 gio toi mai", datetime.now(UTC)) is not None)
"""

CHAT_AND_LIST = """
import sys
from bot.cli import main

main(["chat", "--jsonl"])
print("alembic" in sys.modules)
"""
"""``motcua chat --jsonl`` in this process on an empty standard input, then whether Alembic was
imported."""


async def output(tmp_path: Path, script: str, env: dict[str, str]) -> str:
    """What ``script`` prints, run by a fresh interpreter with ``env`` as its only settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        script,
        env={
            **clean,
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),  # starts in a moment
            "MOTCUA_PORTAL_SANDBOX_PORT": "0",
            **env,
        },
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def loaded(tmp_path: Path, env: dict[str, str]) -> set[str]:
    """The optional libraries a worker built from ``env`` has imported."""
    return set((await output(tmp_path, BUILD_AND_LIST, env)).split())


async def test_nothing_configured_loads_none_of_the_optional_libraries(tmp_path: Path) -> None:
    assert await loaded(tmp_path, {}) == set()


async def test_what_is_configured_is_loaded(tmp_path: Path, redis_url: str) -> None:
    await migrated_before_start({"MOTCUA_DATA_DIR": str(tmp_path)})  # a fresh file: above
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_REDIS_URL": redis_url,
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
        }
        assert await loaded(tmp_path, env) == {"redis", "telegram"}


async def test_a_telegram_webhook_worker_does_without_python_telegram_bot(
    tmp_path: Path, redis_url: str
) -> None:
    await migrated_before_start({"MOTCUA_DATA_DIR": str(tmp_path)})
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_REDIS_URL": redis_url,
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
            "MOTCUA_PUBLIC_URL": "http://127.0.0.1:9",
        }
        assert await loaded(tmp_path, env) == {"redis"}
        assert telegram.webhook is not None  # it did start, in webhook mode


async def test_the_first_reminder_asked_for_loads_the_date_parser(tmp_path: Path) -> None:
    assert (await output(tmp_path, FIRST_DATE, {})).split() == ["False", "True"]


async def test_a_chat_on_a_migrated_database_does_without_alembic(tmp_path: Path) -> None:
    fresh = await output(tmp_path, CHAT_AND_LIST, {})
    migrated = await output(tmp_path, CHAT_AND_LIST, {})
    assert (fresh.split(), migrated.split()) == (["True"], ["False"])


def commands(parser: argparse.ArgumentParser) -> set[str]:
    """The sub-commands a parser knows."""
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_a_command_is_parsed_with_its_own_module_only() -> None:
    assert commands(build_parser()) == set(COMMANDS)
    assert commands(build_parser("serve")) == {"serve", "worker"}
    for command in COMMANDS:
        assert command in commands(build_parser(command))
