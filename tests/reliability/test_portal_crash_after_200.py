"""A worker killed right after it answered the portal's status webhooks 200 loses none of them.

The real ``motcua serve`` process follows ten dossiers a Telegram citizen filed with a sandbox
portal running beside it (``MOTCUA_PORTAL_URL``). The officer accepts all ten at once; the
portal's signed webhooks are answered 200 once each event is kept in the durable inbox, and the
worker is killed with SIGKILL as soon as the portal has its last 200. Started again, it applies
every event it kept, queues one notice per change, and the portal delivering the same events
again changes nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from fakes.telegram import TOKEN, FakeTelegram
from portal.portal_support import running_sandbox
from support.schema import migrated

from bot.portal import WEBHOOK_PATH
from bot.storage.database import Database
from bot.storage.dossiers import SqlDossiers
from dialogs.messages import ConversationRef
from dialogs.step import SubmitDossier
from integrations.portal.contract import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from reliability.servers import ServerProcess, small_knowledge

pytestmark = pytest.mark.slow

DOSSIERS = 10
REQUEST = {
    "procedure_code": "1.001193",
    "applicant": {
        "full_name": "Nguyễn Thị Hoà",
        "id_number": "001190012345",
        "phone": "+84912345678",
        "address": "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    },
    "form": {"child_name": "Nguyễn Minh Khôi"},
    "delivery": {"method": "pickup"},
}
NOTICE = "Đã tiếp nhận"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


def webhooks(sandbox_file: Path) -> list[tuple[str, bool]]:
    """The sandbox's status webhooks: body, and whether the receiver acknowledged it."""
    with sqlite3.connect(sandbox_file) as connection:
        rows = connection.execute("SELECT body, delivered_at FROM webhooks").fetchall()
    return [(body, delivered is not None) for body, delivered in rows]


def portal_events(database: Path) -> list[str]:
    """The statuses of the portal's events kept in motcua's inbox."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT status FROM inbox WHERE channel = 'portal'").fetchall()
    return [status for (status,) in rows]


def statuses(database: Path) -> dict[str, int]:
    """How many of motcua's dossiers are in each status."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT status, count(*) FROM dossiers GROUP BY status")
        return dict(rows.fetchall())


def notices(database: Path) -> int:
    """Status notices queued for citizens."""
    with sqlite3.connect(database) as connection:
        return int(
            connection.execute("SELECT count(*) FROM reminders WHERE payload = 'fd:st'").fetchone()[
                0
            ]
        )


async def test_status_webhooks_answered_200_survive_a_kill_and_are_told_once(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    server = ServerProcess(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_KNOWLEDGE_PATH": str(small_knowledge(tmp_path)),
            "MOTCUA_TELEGRAM_TOKEN": TOKEN,
            "MOTCUA_TELEGRAM_API_URL": telegram.url,
            "MOTCUA_INBOX_LEASE_SECONDS": "1",
        },
        tmp_path / "server.log",
    )
    server.env["MOTCUA_PUBLIC_URL"] = server.url
    callback = server.url + WEBHOOK_PATH
    sandbox_dir = tmp_path / "portal"
    sandbox_dir.mkdir()
    async with running_sandbox(sandbox_dir) as portal:
        server.env.update(
            MOTCUA_PORTAL_URL=portal.url,
            MOTCUA_PORTAL_API_KEY=portal.sandbox.api_key,
            MOTCUA_PORTAL_WEBHOOK_SECRET=portal.sandbox.webhook_secret,
        )
        user = telegram.user()
        ref = ConversationRef("telegram", str(user.id))
        url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.sqlite3'}"
        await migrated(url)
        codes = []
        async with Database(url) as database:
            for n in range(DOSSIERS):
                key = f"crash-{n}"
                answer = await portal.client.create_dossier(
                    {**REQUEST, "callback_url": callback}, key
                )
                submit = SubmitDossier(key, "1.001193", REQUEST, "2026-11-24T08:00:00+00:00", "v1")
                async with database.transaction() as session:
                    dossiers = SqlDossiers(session)
                    await dossiers.queue(ref, submit, "vi", answer.updated_at)
                    queued = [d for d in await dossiers.for_ref(ref) if d.key == key]
                    await dossiers.filed(queued[0], answer, answer.updated_at)
                codes.append(answer.code)

        await server.start()
        try:
            await telegram.wait_for(lambda: telegram.webhook is not None)
            await asyncio.gather(*(portal.sandbox.move(code, "accepted") for code in codes))
            sandbox_file = sandbox_dir / "sandbox.sqlite3"
            async with asyncio.timeout(20):
                # The acknowledgements are in the sandbox's file.
                while not all(done for _body, done in webhooks(sandbox_file)):  # noqa: ASYNC110
                    await asyncio.sleep(0.005)
            await server.kill()
            kept = portal_events(tmp_path / "motcua.sqlite3")
            assert len(kept) == DOSSIERS  # each event was kept before its 200

            await server.start()
            async with asyncio.timeout(20):
                # The statuses are in motcua's file.
                while statuses(tmp_path / "motcua.sqlite3") != {"accepted": DOSSIERS}:  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            # The portal delivering every event again (signed afresh) starts nothing new.
            secret = portal.sandbox.webhook_secret
            async with aiohttp.ClientSession() as http:
                for body, _done in webhooks(sandbox_file):
                    stamp = str(int(time.time()))
                    async with http.post(
                        callback,
                        data=body.encode(),
                        headers={
                            TIMESTAMP_HEADER: stamp,
                            SIGNATURE_HEADER: sign(secret, stamp, body.encode()),
                        },
                    ) as response:
                        assert response.status == 200
                        assert (await response.json())["status"] == "duplicate"
            await asyncio.sleep(0.5)  # time enough for a second notice to arrive
        finally:
            await server.stop()

    # Each change was queued for the citizen once (a notice claimed by the killed worker waits
    # for its claim to run out), and none was told twice.
    assert notices(tmp_path / "motcua.sqlite3") == DOSSIERS
    told = [m.text for m in user.messages if NOTICE in m.text]
    assert len(told) == len({code for code in codes for text in told if code in text})
