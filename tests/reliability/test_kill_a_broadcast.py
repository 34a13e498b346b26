"""A real ``motcua serve`` killed (SIGKILL) halfway through a broadcast and started again: every
subscriber gets the announcement, and a repeat can only be one of the sends in flight at the
kill (``bot.announcements.sender`` explains that window: accepted sends are committed in
groups, and a send keeps its slot until its group is committed). Stopped (SIGTERM) instead, as
a deployment restarts it, it settles the sends in hand first and repeats nothing.

Citizens on Telegram (the fake Bot API, at 20 messages a second for the bot, or 400 with more
citizens and more sends in flight) and ten in the web chat chose Phường Ba Đình; ``motcua
announce`` queues one announcement; the worker is killed once about half of the Telegram
citizens have it. Started again, it sends the rest once the dead worker's claims run out
(``MOTCUA_ANNOUNCEMENT_LEASE_SECONDS``, 2 s here). On SQLite, and on PostgreSQL at 400 a
second.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.telegram import FakeTelegram
from support.apps import telegram_env
from support.schema import migrated

from bench.workers import scratch_postgres
from bot.announcements.sender import in_flight_for
from bot.announcements.store import Delivery, SqlAnnouncements, State
from bot.cli import main
from bot.storage.database import Database
from bot.storage.subscriptions import SqlSubscriptions
from dialogs.messages import ConversationRef
from reliability.servers import ServerProcess, small_knowledge

pytestmark = pytest.mark.slow

TEXT = "Bão số 3 sắp đổ bộ: người dân ở nhà, tránh xa bờ sông."
WEB_CITIZENS = 10


async def _subscribe(url: str, refs: list[ConversationRef]) -> None:
    async with Database(url) as database, database.transaction() as session:
        for ref in refs:
            await SqlSubscriptions(session).choose(ref, 4, datetime.now(UTC))


async def _progress(url: str) -> tuple[State | None, dict[str, dict[Delivery, int]]]:
    async with Database(url) as database, database.transaction() as session:
        store = SqlAnnouncements(session)
        found = await store.get(1)
        return None if found is None else found.state, (await store.progress(1)).by_channel


@asynccontextmanager
async def _database(
    backend: str, folder: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """A migrated SQLite file in ``folder``, or a migrated PostgreSQL database of the test's
    own."""
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{(folder / 'motcua.sqlite3').as_posix()}"
        await migrated(url)
        yield url
        return
    async with scratch_postgres(request.getfixturevalue("postgres_url")) as url:
        await migrated(url)
        yield url


@pytest.mark.parametrize(
    ("stop", "rate", "telegram_citizens", "backend"),
    [
        ("kill", 20, 60, "sqlite"),
        ("terminate", 20, 60, "sqlite"),
        ("kill", 400, 800, "sqlite"),
        pytest.param("kill", 400, 800, "postgres", marks=pytest.mark.postgres),
    ],
)
async def test_a_broadcast_stopped_halfway_resumes_losing_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    stop: str,
    rate: int,
    telegram_citizens: int,
    backend: str,
) -> None:
    async with FakeTelegram() as telegram, _database(backend, tmp_path, request) as database_url:
        server = ServerProcess(
            {
                **telegram_env(telegram),
                "MOTCUA_DATABASE_URL": database_url,
                "MOTCUA_DATA_DIR": str(tmp_path),
                "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
                "MOTCUA_TELEGRAM_GLOBAL_RATE": str(rate),
                "MOTCUA_ANNOUNCEMENT_LEASE_SECONDS": "2",
            },
            tmp_path / "server.log",
        )
        server.env["MOTCUA_PUBLIC_URL"] = server.url
        await server.start()
        try:
            chats = [telegram.user(9_000 + n).id for n in range(telegram_citizens)]
            await _subscribe(
                database_url,
                [ConversationRef("telegram", str(chat)) for chat in chats]
                + [ConversationRef("web", f"web-{n}") for n in range(WEB_CITIZENS)],
            )
            (tmp_path / "storm.txt").write_text(TEXT, encoding="utf-8")
            # The console script's entry point, in a thread with its own event loop: like a
            # process beside the server, it reaches it only through the database.
            for name in ("MOTCUA_DATABASE_URL", "MOTCUA_DATA_DIR", "MOTCUA_KNOWLEDGE_PATH"):
                monkeypatch.setenv(name, server.env[name])
            queued = ["announce", "--commune", "00004", "--text-file", str(tmp_path / "storm.txt")]
            assert await asyncio.to_thread(main, queued) == 0

            def received() -> Counter[int]:
                return Counter(
                    int(call["chat_id"])
                    for call in telegram.calls_of("sendMessage")
                    if TEXT in str(call.get("text"))
                )

            await telegram.wait_for(lambda: len(received()) >= telegram_citizens // 2, within=30)
            await (server.kill() if stop == "kill" else server.stop())
            at_kill = sum(received().values())
            assert at_kill < telegram_citizens, "killed halfway, not at the end"

            await server.start()

            async def done() -> None:
                while (await _progress(database_url))[0] is not State.DONE:  # noqa: ASYNC110
                    await asyncio.sleep(0.2)

            await asyncio.wait_for(done(), 40)
        finally:
            await server.stop()
        _state, progress = await _progress(database_url)

    counts = received()
    lost = [chat for chat in chats if counts[chat] == 0]
    repeated = sum(n - 1 for n in counts.values())
    assert lost == []
    # The most a kill can repeat: the sends one channel's loop has out at once.
    assert repeated <= (in_flight_for(rate) if stop == "kill" else 0), counts
    assert progress["telegram"][Delivery.SENT] == telegram_citizens
    assert progress["web"][Delivery.SENT] == WEB_CITIZENS
    print(f"{stop} after {at_kill} sends: 0 lost, {repeated} repeated")
