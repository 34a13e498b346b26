"""The console in headless Chromium, end to end: the first admin made with the CLI signs in and
adds commune staff; a citizen on the web chat and one on Telegram (fake Bot API) ask for a
person; staff claim and answer both and close; the answers arrive on each app and the assistant
answers again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from browser_support import cli, closing_contexts, phone, screenshot, sign_in
from fakes.telegram import FakeTelegram
from playwright.async_api import Browser, Page, expect
from support.apps import serving, telegram_env
from support.citizens import TelegramCitizen, text_of

from bot.app import App, SystemClock
from bot.storage.staff import SqlStaff
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.browser

PASSWORD = "mật khẩu đủ dài 2026"
EMAIL = "can.bo@xa.vn"


@pytest_asyncio.fixture(loop_scope="session")
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest_asyncio.fixture(loop_scope="session")
async def app(
    telegram: FakeTelegram,
    knowledge: LocalKnowledgeBase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[App]:
    """``motcua serve`` with Telegram on its fake and its background loops (the outbox) on."""
    monkeypatch.setenv("MOTCUA_DATA_DIR", str(tmp_path))
    env = {"MOTCUA_DATA_DIR": str(tmp_path), **telegram_env(telegram)}
    async with serving(env, knowledge=knowledge, clock=SystemClock()) as built:
        built.start_background()
        yield built


async def _asks_staff(on_telegram: TelegramCitizen) -> TelegramCitizen:
    """A Telegram citizen who has chosen no commune asks for a person of Phường Ba Đình."""
    await on_telegram.say("/start")
    await on_telegram.tap("Hỏi cán bộ")
    asked = text_of(await on_telegram.say("Cho hỏi phí làm căn cước?"))
    assert "Trước khi chuyển câu hỏi của bạn" in asked
    await on_telegram.say("phuong ba dinh")
    queued = text_of(await on_telegram.tap("Đúng, nơi tôi ở"))
    assert "đã được chuyển tới cán bộ" in queued
    return on_telegram


async def _answer(staff: Page, conversation: str, answer: str) -> None:
    """Open a waiting conversation, claim it, answer, and close it."""
    await staff.get_by_role("link", name=conversation).click()
    await staff.get_by_role("button", name="Nhận: tôi sẽ trả lời").click()
    await staff.get_by_label("Câu trả lời của bạn cho người dân").fill(answer)
    await staff.get_by_role("button", name="Gửi câu trả lời").click()
    await expect(staff.locator(".messages")).to_contain_text(f"Cán bộ một cửa: {answer}")
    await screenshot(staff, "console-conversation")
    await staff.get_by_role("button", name="Kết thúc: trả lại cho trợ lý").click()
    await expect(staff.get_by_role("heading", level=1)).to_have_text(
        "Cuộc trò chuyện đang chờ cán bộ"
    )


async def test_staff_answer_a_web_chat_and_a_telegram_citizen(
    app: App, telegram: FakeTelegram, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = app.settings.public_url
    assert base is not None
    added = await cli(monkeypatch, "staff", "add", "--admin", "admin@xa.vn", stdin=PASSWORD)
    assert added == 0

    async with closing_contexts(browser):
        staff = await phone(browser, f"{base}/console/login")
        await sign_in(staff, base, "admin@xa.vn", PASSWORD)
        await staff.get_by_role("link", name="Tài khoản").click()
        await staff.get_by_label("Thư điện tử").fill("can.bo@xa.vn")
        await staff.get_by_label("Họ tên").fill("Nguyễn Văn Cán")
        await staff.get_by_label("Mật khẩu (ít nhất 10 ký tự)").fill(PASSWORD)
        await staff.get_by_label("Mã xã, cách nhau bằng dấu phẩy").fill("00004")
        await staff.get_by_role("button", name="Thêm tài khoản").click()
        await expect(staff.locator("table")).to_contain_text("can.bo@xa.vn")
        await screenshot(staff, "console-accounts")
        await staff.get_by_role("link", name="Trò chuyện").click()
        await expect(staff.locator(".empty")).to_have_text("Không có ai đang chờ.")

        citizen = await phone(browser, f"{base}/")
        log = citizen.get_by_role("log")
        await citizen.get_by_label("Câu hỏi của bạn").fill("menu")
        await citizen.keyboard.press("Enter")
        await citizen.locator('#log button:enabled[data-payload="m:staff"]').last.click()
        await expect(log).to_contain_text("Bạn hãy gõ câu hỏi gửi cán bộ")
        await citizen.get_by_label("Câu hỏi của bạn").fill("<b>Xin hỏi</b> giờ làm việc?")
        await citizen.keyboard.press("Enter")
        # No commune chosen yet: which one is asked first, so its own staff get the question.
        await expect(log).to_contain_text("Trước khi chuyển câu hỏi của bạn")
        await citizen.get_by_label("Câu hỏi của bạn").fill("phuong ba dinh")
        await citizen.keyboard.press("Enter")
        await citizen.get_by_role("button", name="Đúng, nơi tôi ở").last.click()
        await expect(log).to_contain_text("đã được chuyển tới cán bộ")

        on_telegram = await _asks_staff(TelegramCitizen(telegram, app))

        # The queue shows both, live, without a reload.
        await expect(staff.locator(".queue li")).to_have_count(2)
        await screenshot(staff, "console-queue")
        first, second = await staff.locator(".queue li a").all_inner_texts()

        await staff.get_by_role("link", name=first).click()
        # The citizen's HTML is shown as text, never as markup.
        await expect(staff.locator(".messages")).to_contain_text("<b>Xin hỏi</b> giờ làm việc?")
        assert await staff.locator(".messages b").count() == 0
        # A tapped button reads as its label, as the citizen saw it.
        await expect(staff.locator(".messages")).to_contain_text("đã bấm “Đúng, nơi tôi ở”")
        await staff.go_back()
        await _answer(staff, first, "Xã làm việc từ 7 giờ 30, thứ Hai đến thứ Sáu.")
        await _answer(staff, second, "Lệ phí cấp căn cước lần đầu được miễn.")

        await expect(log).to_contain_text("Cán bộ một cửa: Xã làm việc từ 7 giờ 30", timeout=15_000)
        await expect(log).to_contain_text("Cán bộ một cửa đã kết thúc", timeout=15_000)
        await telegram.wait_for(
            lambda: any("Cán bộ một cửa đã kết thúc" in m.text for m in on_telegram.user.messages)
        )
        said = [m.text for m in on_telegram.user.messages]
        assert "Cán bộ một cửa: Lệ phí cấp căn cước lần đầu được miễn." in said

        # The assistant answers again on both apps.
        assert "căn cước" in text_of(await on_telegram.say("lam cccd")).lower()
        await citizen.get_by_label("Câu hỏi của bạn").fill("đăng ký khai sinh")
        await citizen.keyboard.press("Enter")
        await expect(log).to_contain_text("khai sinh")
        await expect(
            citizen.locator('#log button:enabled[data-payload^="proc:"]').first
        ).to_be_visible()

        await staff.get_by_role("link", name="Nhật ký thao tác").click()
        audit = staff.locator("tbody")
        for action in (
            "Đã trả lời người dân",
            "Đã nhận một cuộc trò chuyện",
            "Đã thêm một tài khoản",
        ):
            await expect(audit).to_contain_text(action)


async def _end_every_session(app: App) -> None:
    """Every console session's hours run out, as ``MOTCUA_CONSOLE_SESSION_HOURS`` later."""
    async with app.database.transaction() as session:
        await SqlStaff(session).forget_expired_sessions(datetime.now(UTC) + timedelta(days=31))


async def test_a_session_ended_under_the_staff_says_so_and_signs_in_back_to_the_page(
    app: App, telegram: FakeTelegram, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session that ended while a page was open put a copy of the sign-in page inside the
    live queue, and a form sent with it got "not allowed: another commune, or the form is
    old", what was typed lost without a word; signing in again led to the front page."""
    base = app.settings.public_url
    assert base is not None
    added = await cli(monkeypatch, "staff", "add", "--commune", "00004", EMAIL, stdin=PASSWORD)
    assert added == 0
    await _asks_staff(TelegramCitizen(telegram, app))

    async with closing_contexts(browser):
        staff = await phone(browser, f"{base}/console/login")
        await sign_in(staff, base, EMAIL, PASSWORD)
        await expect(staff.locator(".queue li")).to_have_count(1)
        await _end_every_session(app)
        # The live queue finds the session gone: the page itself goes to the sign-in form.
        await expect(staff.get_by_role("alert")).to_have_text(
            "Phiên đăng nhập đã hết. Xin đăng nhập lại.", timeout=10_000
        )
        assert await staff.locator(".queue").count() == 0
        await _sign_in_here(staff)
        await staff.wait_for_url(f"{base}/console/")

        commune = f"{base}/console/communes/00004"
        await staff.goto(commune)
        await staff.get_by_label("Điện thoại").fill("024 3823 0000")
        await _end_every_session(app)
        await staff.get_by_role("button", name="Lưu").click()
        await expect(staff.get_by_role("alert")).to_have_text(
            "Phiên đăng nhập đã hết nên những gì bạn vừa gửi chưa được lưu. Xin đăng nhập lại."
        )
        await _sign_in_here(staff)
        await staff.wait_for_url(commune)
        await expect(staff.get_by_label("Điện thoại")).to_have_value("")


async def _sign_in_here(page: Page) -> None:
    """The sign-in form the page was sent to, filled in as it stands."""
    await page.get_by_label("Thư điện tử").fill(EMAIL)
    await page.get_by_label("Mật khẩu").fill(PASSWORD)
    await page.get_by_role("button", name="Đăng nhập").click()
