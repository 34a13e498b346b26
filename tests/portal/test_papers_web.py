"""Papers sent from the web chat's upload: judged by their bytes (a program renamed ``.jpg``,
a file over 10 MB and a 40 MB photo are refused, with everything typed kept and nothing of
the refused files stored), attached to the dossier the
sandbox portal receives, and sent again when the desk asks for more (``supplement_required``)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from portal_support import KNOWLEDGE, fill_birth_registration, web_citizen
from support.apps import serving
from support.clock import ManualClock
from support.papers import EXE, FORTY_MB, JPEG, PDF, kept_papers, sent_to_portal

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def test_papers_uploaded_in_the_web_chat_reach_the_dossier_and_answer_a_supplement(
    tmp_path: Path,
) -> None:
    env = {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}
    async with (
        serving(env, knowledge=KNOWLEDGE, clock=ManualClock()) as app,
        web_citizen(app) as citizen,
    ):
        app.start_background()
        review = await fill_birth_registration(citizen)
        assert "Birth certificate from the hospital (Giấy chứng sinh): not attached" in review
        asked = await citizen.press("f:pp")
        assert "Send a photo (JPEG or PNG) or a PDF file of: Birth certificate" in asked
        assert "whatever its name says" in await citizen.upload(EXE, "giay-chung-sinh.jpg")
        too_big = await citizen.upload(JPEG + b"\0" * (10 * 1024 * 1024), "anh.jpg")
        assert "at most 10 MB" in too_big and "Everything you typed before is kept" in too_big
        review = await citizen.upload(JPEG, "giay-chung-sinh.jpg")
        assert "Giấy chứng sinh): attached" in review and "Nguyễn Minh Khôi" in review
        assert "Sending" in await citizen.press("f:send")
        found = CODE.search(await citizen.pushed("Dossier code"))
        assert found is not None
        code = found.group(0)
        # The portal has it and motcua keeps nothing: refused files were never kept.
        assert await sent_to_portal(app, code, 1) == [("Giấy chứng sinh", "image/jpeg", len(JPEG))]

        for status in ("accepted", "processing"):
            await app.portal.client.transition(code, status)
        await app.portal.client.transition(code, "supplement_required", "Thiếu tờ khai ký tên")
        notice = await citizen.pushed("More papers needed")
        assert "Thiếu tờ khai ký tên" in notice
        started = await citizen.press(f"sp:go:{code}")
        assert f"Each one goes to dossier {code}" in started
        assert "whatever its name says" in await citizen.upload(EXE, "to-khai.pdf")
        assert "Received (1)" in await citizen.upload(PDF, "to-khai.pdf")
        supplied = await sent_to_portal(app, code, 2)
        assert ("Giấy tờ bổ sung 1", "application/pdf", len(PDF)) in supplied
        # The desk has the papers: the dossier is processed again, and the citizen is told.
        moved = await citizen.pushed("Being processed", 2)
        assert "Đã nhận giấy tờ bổ sung" in moved
        assert "I will tell you here" in await citizen.press("sp:done")


async def streamed(size: int) -> AsyncIterator[bytes]:
    """A photo of ``size`` bytes sent in 1 MB chunks, its length not declared up front."""
    yield JPEG
    chunk = b"\0" * (1024 * 1024)
    for _ in range((size - len(JPEG)) // len(chunk)):
        yield chunk


async def test_a_40_mb_photo_and_a_program_are_refused_and_nothing_is_kept(
    tmp_path: Path,
) -> None:
    env = {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}
    async with (
        serving(env, knowledge=KNOWLEDGE, clock=ManualClock()) as app,
        web_citizen(app) as citizen,
    ):
        await fill_birth_registration(citizen)
        await citizen.press("f:pp")
        declared = await citizen.upload(JPEG + b"\0" * (FORTY_MB - len(JPEG)), "anh.jpg")
        chunked = await citizen.upload(streamed(FORTY_MB), "anh.jpg")
        program = await citizen.upload(EXE, "giay-chung-sinh.jpg")
        named_exe = await citizen.upload(EXE, "setup.exe")
        kept = await kept_papers(app)
        # Still at the same paper, every answer kept: a real photo is taken and the review shows
        # what was typed before the refusals.
        review = await citizen.upload(JPEG, "giay-chung-sinh.jpg")
    for refusal in (declared, chunked):
        assert "at most 10 MB" in refusal and "Everything you typed before is kept" in refusal
    for refusal in (program, named_exe):
        assert "whatever its name says" in refusal and "Everything you typed before" in refusal
    assert kept == 0
    assert "Giấy chứng sinh): attached" in review and "Nguyễn Minh Khôi" in review
