"""Papers over Messenger: an image attachment is fetched from the URL its event carries and
attached to the dossier the sandbox portal receives; a program renamed ``.jpg`` is refused by
its bytes, with everything typed kept."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from fakes.messenger import FakeGraphApi
from messenger_support import USER, messenger_env, running
from support.clock import ManualClock
from support.papers import EXE, JPEG, PROOF, RESIDENCE_ANSWERS, sent_to_portal
from support.procedures import BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE

from knowledge.base import LocalKnowledgeBase

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def test_a_photo_sent_on_messenger_reaches_the_dossier_and_a_renamed_program_is_refused(
    tmp_path: Path, graph: FakeGraphApi, clock: ManualClock
) -> None:
    env = {**messenger_env(tmp_path, graph), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}
    knowledge = LocalKnowledgeBase([BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE])
    async with running(env, graph, clock, knowledge) as citizen:
        citizen.app.start_background()
        await citizen.say("menu")
        await citizen.tap("m:submit")
        await citizen.tap("f:go:1.004194")
        await citizen.tap("f:ok")
        for typed in RESIDENCE_ANSWERS:
            await citizen.say(typed)
        await citizen.tap("f:skip")
        await citizen.tap("f:d:pickup")
        (asked,) = await citizen.tap("f:pp")
        assert "Gửi ảnh chụp (JPEG hoặc PNG)" in asked.text

        (refused,) = await citizen.upload(EXE, kind="file")
        assert "dù tên tệp ghi gì" in refused.text and "vẫn được giữ nguyên" in refused.text
        (review,) = await citizen.upload(JPEG)
        assert f"{PROOF}: đã gửi kèm" in review.text
        await citizen.tap("f:send")

        receipts: list[str] = []
        for _ in range(200):  # the receipt is pushed once the portal has answered
            receipts = [m.text for m in graph.messages_to(USER) if "Mã hồ sơ" in m.text]
            if receipts:
                break
            await asyncio.sleep(0.05)
        found = CODE.search(receipts[0])
        assert found is not None
        sent = await sent_to_portal(citizen.app, found.group(0), 1)
        assert sent == [(PROOF, "image/jpeg", len(JPEG))]
        assert len(graph.downloads) == 2  # each file fetched once, from its attachment URL
