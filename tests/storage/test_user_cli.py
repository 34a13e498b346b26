"""``motcua user export`` and ``motcua user delete``: a citizen's data on request, all of it,
from any of their linked apps, deleted only once confirmed."""

from __future__ import annotations

import asyncio
import io
import json
from typing import Any

import pytest
from support.clock import ManualClock

from bot import personal_data
from bot.cli import main
from bot.personal_data import REGISTRY
from bot.storage.database import Database
from dialogs.messages import ConversationRef
from storage.test_personal_data import AN, BINH, _citizen


async def _two_citizens(url: str) -> None:
    async with Database(url) as database:
        await _citizen(database, ManualClock(), AN)
        await _citizen(database, ManualClock(), BINH)


async def _kept(url: str, ref: ConversationRef) -> int:
    async with Database(url) as database, database.transaction() as session:
        exported = await personal_data.export(session, ref)
    return sum(len(rows) for rows in exported["tables"].values())


def _args(action: str, ref: ConversationRef, *more: str) -> list[str]:
    return ["user", action, "--channel", ref.channel, "--user", ref.user_id, *more]


def test_export_prints_everything_about_the_citizen_and_delete_asks_first(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(_two_citizens(database_url))
    monkeypatch.setenv("MOTCUA_DATABASE_URL", database_url)

    assert main(_args("export", AN[0])) == 0
    exported: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert {t for t, rows in exported["tables"].items() if rows} == {e.name for e in REGISTRY}
    assert {"channel": "messenger", "user_id": AN[1].user_id} in exported["identities"]

    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert main(_args("delete", AN[1])) == 1
    assert "nothing deleted" in capsys.readouterr().out
    assert asyncio.run(_kept(database_url, AN[0])) > 0

    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert main(_args("delete", AN[1])) == 0
    said = capsys.readouterr().out
    assert "will be deleted for good" in said and "deleted " in said
    assert asyncio.run(_kept(database_url, AN[0])) == 0
    assert asyncio.run(_kept(database_url, AN[1])) == 0
    assert asyncio.run(_kept(database_url, BINH[0])) > 0  # nobody else's

    assert main(_args("export", AN[0])) == 1
    assert "nothing is kept" in capsys.readouterr().err
    assert main(_args("delete", BINH[0], "--yes")) == 0
    assert asyncio.run(_kept(database_url, BINH[1])) == 0
