"""Papers over Telegram (the fake Bot API, fetched with getFile) against the sandbox portal over
HTTP: a 40 MB document refused before anything is downloaded, a program renamed ``.jpg``
refused by its bytes, a photo attached to the filed dossier, and the papers the desk asks for
later (``supplement_required``) sent from the chat."""

from __future__ import annotations

import re

from fakes.telegram import FakeTelegram
from support.citizens import TelegramCitizen, text_of
from support.papers import (
    EXE,
    FORTY_MB,
    JPEG,
    PDF,
    PROOF,
    answer_the_residence_form,
    sent_to_portal,
)

from bot.app import App

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def test_a_photo_sent_on_telegram_reaches_the_dossier_and_answers_a_supplement(
    telegram: FakeTelegram, app: App
) -> None:
    chat = TelegramCitizen(telegram, app)
    await chat.say("/start")
    await answer_the_residence_form(chat)
    review = text_of(await chat.tap("Nhận tại bộ phận một cửa"))
    assert f"{PROOF}: chưa gửi kèm" in review
    asked = text_of(await chat.tap("Gửi ảnh giấy tờ"))
    assert "Gửi ảnh chụp (JPEG hoặc PNG) hoặc tệp PDF của: Giấy tờ chứng minh" in asked

    # Telegram announces the size: a 40 MB file is refused without being fetched at all.
    huge = text_of(await chat.send_document(PDF, "hop-dong.pdf", "application/pdf", size=FORTY_MB))
    assert "Tệp này quá lớn: mỗi giấy tờ tối đa 10 MB" in huge
    assert "Những gì bạn đã nhập trước đó vẫn được giữ nguyên" in huge
    assert telegram.calls_of("getFile") == [] and telegram.downloads == []
    renamed = text_of(await chat.send_document(EXE, "hop-dong.jpg", "image/jpeg"))
    assert "dù tên tệp ghi gì" in renamed
    review = text_of(await chat.send_photo(JPEG))
    assert f"{PROOF}: đã gửi kèm" in review and "Trần Văn Bình" in review
    # The largest of the photo's sizes is the one fetched.
    assert telegram.downloads[-1].startswith("photos/")
    await chat.tap("Gửi hồ sơ")

    found = CODE.search(await chat.pushed("Mã hồ sơ"))
    assert found is not None
    code = found.group(0)
    assert await sent_to_portal(app, code, 1) == [(PROOF, "image/jpeg", len(JPEG))]

    for status in ("accepted", "processing"):
        await app.portal.client.transition(code, status)
    await app.portal.client.transition(code, "supplement_required", "Thiếu ảnh CCCD mặt sau")
    notice = await chat.pushed("Yêu cầu bổ sung giấy tờ")
    assert "Thiếu ảnh CCCD mặt sau" in notice
    started = text_of(await chat.tap("Gửi giấy tờ bổ sung"))
    assert f"Mỗi tệp được gửi vào hồ sơ {code}" in started
    assert "Đã nhận (1)" in text_of(await chat.send_photo(JPEG))
    assert ("Giấy tờ bổ sung 1", "image/jpeg", len(JPEG)) in await sent_to_portal(app, code, 2)
    moved = await chat.pushed("Đang xử lý", 2)
    assert "Đã nhận giấy tờ bổ sung" in moved
