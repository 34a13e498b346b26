"""A worker killed right after it answered Telegram 200 loses nothing and doubles nothing.

The real ``motcua serve`` process takes Telegram webhooks from the fake Bot API. A citizen sends
ten messages in a row; one chat is answered at about a message a second, so most of them are
still waiting when, right after the tenth 200, the worker is killed with SIGKILL. Started again,
it answers every one of them once, in order, and Telegram's redelivery of the same updates
starts no second turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.telegram import TOKEN, FakeTelegram
from support.schema import migrated_before_start

from reliability.servers import ServerProcess, incoming_texts, small_knowledge

pytestmark = pytest.mark.slow

TEXTS = [f"cau hoi so {n}" for n in range(10)]


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_updates_answered_200_survive_a_kill_and_are_processed_once(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    server = ServerProcess(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
            # A claim the killed worker held runs out after a second.
            "MOTCUA_INBOX_LEASE_SECONDS": "1",
        },
        tmp_path / "server.log",
    )
    server.env["MOTCUA_PUBLIC_URL"] = server.url
    await migrated_before_start(server.env)
    await server.start()
    try:
        await telegram.wait_for(lambda: telegram.webhook is not None)
        user = telegram.user()
        updates = [user.send(text) for text in TEXTS]
        await telegram.wait_for(
            lambda: len({d.update_id for d in telegram.deliveries if d.status == 200}) == len(TEXTS)
        )
        await server.kill()
        assert len(user.messages) < len(TEXTS)  # the kill came while most were still waiting

        server.env["MOTCUA_TELEGRAM_CHAT_RATE"] = "50"  # the rest of the test need not wait
        await server.start()
        # Telegram does not deliver an update again once it got its 200: the restarted worker
        # answers the rest from what the killed one kept.
        await telegram.wait_for(lambda: len(user.messages) >= len(TEXTS), within=20)
        for update in updates:  # a redelivery all the same starts no second turn
            telegram.redeliver(update)
        await telegram.wait_for(
            lambda: sum(d.status == 200 for d in telegram.deliveries) == 2 * len(TEXTS)
        )
        await asyncio.sleep(0.5)  # time enough for a second turn to show in the log
    finally:
        await server.stop()

    said = incoming_texts(tmp_path / "motcua.sqlite3", "telegram")
    assert said == {str(user.id): TEXTS}
