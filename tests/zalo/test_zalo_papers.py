"""Papers over Zalo: the photo a ``user_send_image`` event points to is fetched from its URL
and attached to the dossier the sandbox portal receives; a program renamed ``.jpg`` sent as a
``user_send_file`` and a file Zalo says is 40 MB are refused, with everything typed kept."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from fakes.zalo import FakeZalo
from support.apps import serving, zalo_env
from support.citizens import ZaloCitizen, text_of
from support.papers import (
    EXE,
    FORTY_MB,
    JPEG,
    PDF,
    PROOF,
    answer_the_residence_form,
    sent_to_portal,
)
from support.procedures import BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE

from bot.app import App
from integrations.zalo import WEBHOOK_PATH
from knowledge.base import LocalKnowledgeBase

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")
USER = "2468458835296197922"


@pytest.fixture
async def app(zalo: FakeZalo, tmp_path: Path) -> AsyncIterator[App]:
    """``motcua serve`` with Zalo on the fake and the sandbox portal in-process."""
    env = {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0", **zalo_env(zalo)}
    knowledge = LocalKnowledgeBase([BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE])
    async with serving(env, knowledge=knowledge, clock=zalo.clock) as built:
        zalo.webhook_url = f"{built.settings.public_url}{WEBHOOK_PATH}"
        built.start_background()
        yield built


async def test_a_photo_sent_on_zalo_reaches_the_dossier_and_bad_files_are_refused(
    zalo: FakeZalo, app: App
) -> None:
    chat = ZaloCitizen(zalo, app, USER)
    await chat.follow()
    await answer_the_residence_form(chat)
    await chat.tap("Nhận tại bộ phận một cửa")
    assert "Gửi ảnh chụp (JPEG hoặc PNG)" in text_of(await chat.tap("Gửi ảnh giấy tờ"))

    huge = text_of(await chat.send_file(PDF, "hop-dong.pdf", size=FORTY_MB))
    assert "Tệp này quá lớn" in huge and "vẫn được giữ nguyên" in huge
    assert zalo.downloads == []  # Zalo said how big it was: nothing was fetched
    assert "dù tên tệp ghi gì" in text_of(await chat.send_file(EXE, "hop-dong.jpg"))
    review = text_of(await chat.send_image(JPEG))
    assert f"{PROOF}: đã gửi kèm" in review and "Trần Văn Bình" in review
    await chat.tap("Gửi hồ sơ")

    await zalo.wait_until(lambda: any("Mã hồ sơ" in m.text for m in zalo.sent_to(USER)))
    found = CODE.search(next(m.text for m in zalo.sent_to(USER) if "Mã hồ sơ" in m.text))
    assert found is not None
    assert await sent_to_portal(app, found.group(0), 1) == [(PROOF, "image/jpeg", len(JPEG))]
