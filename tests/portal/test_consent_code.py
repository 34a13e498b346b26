"""A volunteer on Telegram files for a relative who consents on their own chat (the web chat)
with a one-time code: the filing goes on once they agree, both chats get the receipt and every
status change in their own language, a refusal ends it on both sides with nothing kept, and
wrong, expired and guessed codes are refused, limited per app and per address."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fakes.telegram import FakeTelegram
from portal_support import KNOWLEDGE, WebCitizen, web_citizen
from sqlalchemy import func, select
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen, text_of
from support.clock import ManualClock
from support.volunteers import approve_requests

from bot.app import App
from bot.storage.dossiers import SqlDossiers
from bot.storage.tables import ConsentRequestRow

DOSSIER = re.compile(r"[0-9A-Z.]{5,35}-\d{6}-\d{4,5}")
SHOWN = re.compile(r"Mã cho Lê Thị Mai: (\d{3}) (\d{3})")


@asynccontextmanager
async def motcua(tmp_path: Path, clock: ManualClock) -> AsyncIterator[tuple[App, FakeTelegram]]:
    """``motcua serve`` with Telegram on the fake, the web chat, and the sandbox in-process;
    link and consent codes from one address limited to 10 an hour."""
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_PORTAL_SANDBOX_PORT": "0",
            "MOTCUA_LIMIT_LINK_ADDRESS": "10/hour",
            "MOTCUA_LIMIT_WEB_HISTORY": "6000/minute",  # the page's history, polled while waiting
            **telegram_env(telegram),
        }
        async with serving(env, knowledge=KNOWLEDGE, clock=clock) as app:
            app.start_background()
            yield app, telegram


async def join_the_group(volunteer: TelegramCitizen) -> None:
    """Ask to join the digital-technology group from the menu: name, commune, phone, send."""
    await volunteer.say("/start")
    await volunteer.tap("Tham gia tổ công nghệ số")
    await volunteer.say("Trần Văn Bình")
    await volunteer.say("phường Ba Đình")
    await volunteer.tap("Đúng, nơi tôi ở")
    await volunteer.say("0912345678")
    await volunteer.tap("Gửi yêu cầu")


async def ask_for_a_code(volunteer: TelegramCitizen, app: App) -> str:
    """The volunteer, approved as a member of the digital-technology group, starts a temporary
    residence filing for Lê Thị Mai; the code shown."""
    await join_the_group(volunteer)
    assert await approve_requests(app) == 1
    await volunteer.say("/start")
    await volunteer.tap("Nộp hồ sơ")
    await volunteer.tap("Đăng ký tạm trú")
    await volunteer.tap("Tôi đồng ý")
    # Words at "Who is this dossier for?" get it again, where a search started the filing over.
    again = await volunteer.say("bà Mai hàng xóm")
    assert text_of(again).startswith("Xin bấm một trong các nút.")
    assert "Cho người tôi đang giúp" in again[-1].labels
    await volunteer.tap("Cho người tôi đang giúp")
    await volunteer.say("Lê Thị Mai")
    # Asked "Quan hệ của bạn với người đó", a grandchild typed "bà nội", and their grandmother
    # read that someone who says they are her grandmother asks to file for her.
    [relationship] = await volunteer.say("038156012345")
    assert "Bạn là gì của người đó" in text_of([relationship])
    [question] = await volunteer.say("hàng xóm")
    assert "Họ sẽ xác nhận trên điện thoại của họ" in question.labels
    # A word is no answer here ("có" does not say how they agreed): the question comes again,
    # where it was searched as a procedure and the filing could not go on.
    again = await volunteer.say("có")
    assert "Xin bấm một trong các nút." in text_of(again)
    assert again[-1].labels == question.labels
    return await new_code(volunteer, "Họ sẽ xác nhận trên điện thoại của họ")


async def new_code(volunteer: TelegramCitizen, label: str = "Lấy mã mới") -> str:
    """Tap for a code; the code shown, without its space."""
    shown = text_of(await volunteer.tap(label))
    found = SHOWN.search(shown)
    assert found is not None
    # Said for a relative who never used the chat: where to write and what to type, where
    # "mở motcua" named an app they do not know.
    where = "tới chính cuộc trò chuyện Telegram này (chuyển tiếp tin nhắn này cho họ"
    assert f"nhắn đúng các chữ số này, {found.group(1)} {found.group(2)}, {where}" in shown
    assert "bấm “Đồng ý” hoặc “Không đồng ý”" in shown and "motcua" not in shown
    return found.group(1) + found.group(2)


@asynccontextmanager
async def mai_is_given_a_code(
    tmp_path: Path,
) -> AsyncIterator[tuple[App, TelegramCitizen, WebCitizen, str]]:
    """The volunteer on Telegram waits with a code for Lê Thị Mai, on the web chat."""
    async with motcua(tmp_path, ManualClock()) as (app, telegram), web_citizen(app) as mai:
        volunteer = TelegramCitizen(telegram, app)
        yield app, volunteer, mai, await ask_for_a_code(volunteer, app)


def wrong(code: str, n: int = 1) -> str:
    """Another code of the same length."""
    return f"{(int(code) + n) % 1_000_000:06d}"


async def test_the_relative_agrees_on_their_own_chat_and_both_follow_the_dossier(
    tmp_path: Path,
) -> None:
    async with mai_is_given_a_code(tmp_path) as (app, volunteer, mai, code):
        asked = await mai.say(f"{code[:3]} {code[3:]}")
        assert (
            "your hàng xóm asks to file the dossier “Temporary residence registration (Đăng ký "
            "tạm trú)” for you, Lê Thị Mai"
        ) in asked
        assert "recorded" in await mai.say("yes")  # in a word, as the person answers
        # The notice of the consent and the first question are separate sends: wait for both.
        await volunteer.pushed("Lê Thị Mai đã đồng ý trên điện thoại của họ")
        first = await volunteer.pushed("Câu 1/7")
        assert "Họ tên của bạn" in first
        for typed in (
            "Trần Văn Bình",
            "079195012345",
            "0912345678",
            "12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh",
        ):
            await volunteer.say(typed)
        # Mai moves in, not the volunteer: the questions about her say so.
        moved = await volunteer.say("45 Nguyễn Huệ, phường Sài Gòn, TP Hồ Chí Minh")
        assert "Câu 6/7: Ngày Lê Thị Mai bắt đầu ở" in text_of(moved)
        host = await volunteer.say("01/11/2026")
        assert "Bỏ qua nếu Lê Thị Mai là chủ nhà." in text_of(host)
        await volunteer.tap("Bỏ qua")
        [review] = await volunteer.tap("Nhận tại bộ phận một cửa")
        # Who is whom: "Lan (con trai)" alone read as if the person helped were the son.
        assert (
            "Nộp thay cho: Lê Thị Mai (bạn là hàng xóm của người này), người đã đồng ý trên "
            "điện thoại của họ"
        ) in review.text
        await volunteer.tap("Gửi hồ sơ")
        found = DOSSIER.search(await volunteer.pushed("Mã hồ sơ"))
        assert found is not None
        dossier_code = found.group(0)
        # The relative gets the receipt too, in their own language.
        receipt = await mai.pushed("filed for you")
        assert f"Dossier code: {dossier_code}" in receipt and "Expected result" in receipt

        await app.portal.client.transition(dossier_code, "accepted")
        assert dossier_code in await volunteer.pushed("Đã tiếp nhận")
        assert "Accepted" in await mai.pushed(f"Dossier {dossier_code}")
        await app.portal.client.transition(dossier_code, "processing")
        await volunteer.pushed("Đang xử lý")
        await mai.pushed(f"Dossier {dossier_code}: Being processed")
        # The relative follows it in their chat without typing their ID number.
        assert dossier_code in await mai.press("m:lookup")
        assert f"Dossier {dossier_code}: Being processed" in await mai.say(dossier_code)

        async with app.database.transaction() as session:
            dossier = await SqlDossiers(session).by_code(dossier_code)
            assert dossier is not None
            trail = await SqlDossiers(session).audit_trail(dossier.id)
    assert dossier.request["on_behalf_of"]["consent"]["method"] == "code"
    assert dossier.helped is not None and dossier.helped.channel == "web"
    assert [action for _who, action, _at in trail] == ["consented_by_code", "filed_on_behalf"]
    assert trail[0][0] == dossier.helped.key
    assert trail[1][0] == dossier.ref.key and dossier.ref.channel == "telegram"


async def test_a_volunteer_back_at_the_menu_while_waiting_comes_back_to_the_same_code(
    tmp_path: Path,
) -> None:
    async with mai_is_given_a_code(tmp_path) as (_app, volunteer, mai, code):
        # "Nộp hồ sơ" again from the menu while the relative had not answered started the
        # filing over: their details were gone and their answer met a filing no longer open.
        await volunteer.say("/start")
        back = await volunteer.tap("Nộp hồ sơ")
        assert "Bạn đang nộp dở hồ sơ “Đăng ký tạm trú”" in text_of(back)
        assert "Lê Thị Mai" in back[-1].text
        assert "Họ sẽ xác nhận trên điện thoại của họ" in back[-1].labels
        assert "Do you agree?" in await mai.say(code)
        assert "recorded" in await mai.say("yes")
        await volunteer.pushed("Lê Thị Mai đã đồng ý trên điện thoại của họ")
        assert "Họ tên của bạn" in await volunteer.pushed("Câu 1/7")


async def test_a_refusal_ends_the_filing_on_both_sides_and_keeps_nothing(tmp_path: Path) -> None:
    async with mai_is_given_a_code(tmp_path) as (app, volunteer, mai, code):
        assert "Do you agree?" in await mai.say(code)
        # Words at "Do you agree?" were searched as a procedure; its buttons were then out of
        # date and the code used, so the person could no longer answer at all.
        assert "Please tap one of the buttons." in await mai.say("what is this?")
        assert "nothing was kept" in await mai.say("no")
        refused = await volunteer.pushed("không đồng ý")
        assert "Lê Thị Mai không đồng ý, nên không thể nộp hồ sơ" in refused
        # The volunteer's filing is gone: its buttons are out of date.
        assert "Nút này đã cũ" in text_of(await volunteer.tap("Lấy mã mới"))
        async with app.database.transaction() as session:
            left = await session.scalar(select(func.count()).select_from(ConsentRequestRow))
    assert left == 0


async def test_wrong_expired_and_guessed_codes_are_refused(tmp_path: Path) -> None:
    clock = ManualClock()
    async with (
        motcua(tmp_path, clock) as (app, telegram),
        web_citizen(app) as mai,
        web_citizen(app) as guesser,
        web_citizen(app) as third,
        web_citizen(app) as fourth,
    ):
        volunteer = TelegramCitizen(telegram, app)
        first = await ask_for_a_code(volunteer, app)
        # The volunteer cannot consent for the person from their own chat.
        assert "dành cho người bạn đang giúp" in text_of(await volunteer.say(first))

        assert "I found nothing for this number" in await mai.say(wrong(first))
        clock.advance(minutes=31)
        assert "expired" in await mai.say(first)

        # Five wrong codes lock this app out, even for the right code.
        second = await new_code(volunteer)
        for n in range(1, 6):
            assert "I found nothing for this number" in await guesser.say(wrong(second, n))
        assert "Too many wrong codes" in await guesser.say(second)
        # ...and five wrong codes typed anywhere kill every code made before them.
        assert "I found nothing for this number" in await third.say(second)

        third_code = await new_code(volunteer)
        assert "Do you agree?" in await third.say(third_code)
        # Ten codes an hour from one address: the eleventh is not even checked.
        assert "Too many wrong codes" in await fourth.say(wrong(third_code))
