"""``motcua worker`` answers what a web worker kept, and never takes updates itself.

A ``motcua serve`` process takes a citizen's ten Telegram messages by webhook and is killed
(SIGKILL) right after the tenth 200, most of them unanswered. A ``motcua worker`` started on the
same database answers every one of them once, in order, through the fake Bot API; it neither
moves the webhook nor polls, and its port serves ``/healthz`` but not the web chat.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from fakes.telegram import TOKEN, FakeTelegram
from support.schema import migrated_before_start

from reliability.servers import ServerProcess, incoming_texts, small_knowledge

pytestmark = pytest.mark.slow

TEXTS = [f"cau hoi so {n}" for n in range(10)]
RECEIVING = ("setwebhook", "deletewebhook", "getupdates")


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


async def test_a_worker_answers_what_a_killed_web_worker_kept_without_taking_updates(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = {
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
        "MOTCUA_TELEGRAM_TOKEN": TOKEN,
        "MOTCUA_TELEGRAM_API_URL": telegram.url,
        "MOTCUA_INBOX_LEASE_SECONDS": "1",  # the killed web worker's claim runs out soon
    }
    web = ServerProcess(env, tmp_path / "serve.log")
    web.env["MOTCUA_PUBLIC_URL"] = web.url
    worker = ServerProcess(
        {**env, "MOTCUA_TELEGRAM_CHAT_RATE": "50"}, tmp_path / "worker.log", command="worker"
    )
    await migrated_before_start(web.env)
    await web.start()
    try:
        await telegram.wait_for(lambda: telegram.webhook is not None)
        user = telegram.user()
        for text in TEXTS:
            user.send(text)
        await telegram.wait_for(
            lambda: len({d.update_id for d in telegram.deliveries if d.status == 200}) == len(TEXTS)
        )
        await web.kill()
        assert len(user.messages) < len(TEXTS)
        calls_before = len(telegram.calls)

        await worker.start()
        await telegram.wait_for(lambda: len(user.messages) >= len(TEXTS), within=20)
        async with (
            aiohttp.ClientSession() as http,
            http.get(worker.url + "/api/history") as response,
        ):
            assert response.status == 404
        assert [m for m, _ in telegram.calls[calls_before:] if m in RECEIVING] == []
        assert telegram.webhook is not None and telegram.webhook.url.startswith(web.url)
    finally:
        await worker.stop()
        await web.stop()

    assert incoming_texts(tmp_path / "motcua.sqlite3", "telegram") == {str(user.id): TEXTS}
