"""What goes wrong around a filing on Telegram (the fake Bot API, the sandbox portal over HTTP):
answers a citizen really mistypes refused with what is expected and nothing typed lost, a
portal down at the moment of sending, someone else's dossier code, and portal webhooks that are
forged, stale or replayed."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fakes.telegram import FakeTelegram
from portal.portal_support import (
    FORGED_STALE_AND_REPLAYED,
    KNOWLEDGE,
    body,
    down_portal_env,
    forge_stale_and_replay,
    portal_back,
)
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen, text_of
from support.clock import ManualClock
from support.papers import RESIDENCE_ANSWERS

from bot.app import App

CODE = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")


async def start_residence(chat: TelegramCitizen) -> None:
    """Up to the temporary residence form's first question."""
    await chat.say("/start")
    await chat.tap("Nộp hồ sơ")
    await chat.tap("Đăng ký tạm trú")
    [first] = await chat.tap("Tôi đồng ý")
    assert "Câu 1/7: Họ tên của bạn" in first.text


async def file_residence(chat: TelegramCitizen) -> str:
    """A whole temporary residence filing, sent; what the bot answered "send" with."""
    await start_residence(chat)
    for typed in RESIDENCE_ANSWERS:
        await chat.say(typed)
    await chat.tap("Bỏ qua")
    await chat.tap("Nhận tại bộ phận một cửa")
    return text_of(await chat.tap("Gửi hồ sơ"))


async def test_each_mistyped_answer_is_refused_with_what_is_expected(
    telegram: FakeTelegram, app: App
) -> None:
    chat = TelegramCitizen(telegram, app)
    await start_residence(chat)
    kept = "Những gì bạn đã nhập trước đó vẫn được giữ nguyên"
    for typed, expected in [
        ("   ", "Họ tên đang để trống: xin nhập họ tên đầy đủ"),
        ("Trần " * 61, "Họ tên dài tối đa 100 ký tự; tên này có 304 ký tự"),
        ("Trần Văn Bình", "Câu 2/7"),
        ("07919501234", "Số định danh cá nhân có 12 chữ số; bạn đã nhập 11 chữ số"),
        ("079995012345", "cho năm sinh 2395, không thể đúng"),
        ("079195012345", "Câu 3/7"),
        ("0912 345 67", "Đây không phải số điện thoại Việt Nam"),
        ("+84 912 345 678", "Câu 4/7"),
        ("12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh", "Câu 5/7"),
        ("45 Nguyễn Huệ, phường Sài Gòn, TP Hồ Chí Minh", "Câu 6/7"),
        ("31/02/2026", "31/02/2026 không phải là một ngày có thật"),
        ("01/01/2099", "01/01/2099 là một ngày ở tương lai"),
        ("01/11/2026", "Câu 7/7"),
    ]:
        said = text_of(await chat.say(typed))
        assert expected in said, said
        assert (kept in said) == ("Câu" not in expected), said
    await chat.tap("Bỏ qua")
    review = text_of(await chat.tap("Nhận tại bộ phận một cửa"))
    for answer in ("Trần Văn Bình", "079195012345", "0912345678", "01/11/2026"):
        assert answer in review
    assert "+84" not in review  # the number as Vietnamese citizens write it


async def test_a_dossier_confirmed_while_the_portal_is_down_is_filed_once_when_it_is_back(
    telegram: FakeTelegram, tmp_path: Path
) -> None:
    env, port = down_portal_env(tmp_path)
    clock = ManualClock()
    async with serving({**env, **telegram_env(telegram)}, knowledge=KNOWLEDGE, clock=clock) as app:
        app.start_background()
        chat = TelegramCitizen(telegram, app)
        assert "Đang gửi" in await file_residence(chat)
        waiting = await chat.pushed("Hồ sơ của bạn được giữ an toàn")
        assert "Traceback" not in waiting and "Error" not in waiting
        await chat.tap("Gửi hồ sơ")  # tapped again while it waits: still one dossier
        async with portal_back(tmp_path, port, clock.now):
            clock.advance(minutes=1)
            await app.dossiers.run_once()
            receipt = await chat.pushed("Mã hồ sơ")
            clock.advance(hours=1)
            await app.dossiers.run_once()
            filed = await app.portal.client.changed_since(clock.now() - timedelta(days=1))
    found = CODE.search(receipt)
    assert found is not None
    assert [d.code for d in filed] == [found.group(0)]
    assert sum("Mã hồ sơ:" in m.text for m in chat.user.messages) == 1
    assert sum("được giữ an toàn" in m.text for m in chat.user.messages) == 1


async def test_someone_elses_dossier_code_is_shown_only_with_their_id_number(
    telegram: FakeTelegram, app: App
) -> None:
    chat = TelegramCitizen(telegram, app)
    await chat.say("/start")
    theirs = await app.portal.client.create_dossier(body(), "counter-1")
    asked = text_of(await chat.say(f"hồ sơ {theirs.code} sao rồi?"))
    assert f"Hồ sơ {theirs.code} không được nộp từ cuộc trò chuyện này" in asked
    assert "số định danh cá nhân (12 chữ số)" in asked and "Mới đăng ký" not in asked
    wrong = text_of(await chat.say("001190099999"))
    assert f"Không tìm thấy hồ sơ {theirs.code} với số định danh này" in wrong
    assert "Nguyễn Thị Hoà" not in wrong and "Mới đăng ký" not in wrong
    await chat.say(theirs.code)
    shown = text_of(await chat.say("001190012345"))
    assert f"Hồ sơ {theirs.code}: Mới đăng ký" in shown


async def test_forged_stale_and_replayed_webhooks_never_reach_the_chat(
    telegram: FakeTelegram, app: App
) -> None:
    chat = TelegramCitizen(telegram, app)
    await file_residence(chat)
    found = CODE.search(await chat.pushed("Mã hồ sơ"))
    assert found is not None
    answers = await forge_stale_and_replay(app, found.group(0), app.clock.now())
    await chat.pushed("Đang xử lý")
    texts = [m.text for m in chat.user.messages]
    assert answers == FORGED_STALE_AND_REPLAYED
    assert sum("Đã tiếp nhận" in t for t in texts) == 1
    assert not any("Đã có kết quả" in t for t in texts)
