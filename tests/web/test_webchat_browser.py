"""The web chat page in real headless Chromium, on a phone-sized screen: typing, pressing
buttons with the keyboard and the mouse, a reload that restores the conversation, and the
page's own words from the catalogs in Vietnamese and English."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, Route, expect
from support.papers import JPEG
from webchat_support import ScriptedDialog

from bot.app import App
from bot.i18n import translator

pytestmark = pytest.mark.browser


async def test_type_press_and_reload(page: Page) -> None:
    await expect(page.locator("#welcome")).to_contain_text("Xin chào")

    await page.get_by_label("Câu hỏi của bạn").fill("dang ky khai sinh")
    await page.keyboard.press("Enter")

    log = page.get_by_role("log")
    await expect(log).to_contain_text("Bạn có giấy khai sinh không?")
    await expect(page.locator("#welcome")).to_have_count(0)

    # Keyboard only: from the message box, Shift+Tab walks back over the portal link and "Không"
    # to "Có"; Enter presses it.
    yes = page.get_by_role("button", name="Có", exact=True)
    await expect(page.get_by_label("Câu hỏi của bạn")).to_be_focused()
    for _ in range(3):
        await page.keyboard.press("Shift+Tab")
    await expect(yes).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(log).to_contain_text("Tốt lắm.")
    menu = page.get_by_role("button", name="Menu", exact=True)
    await expect(menu).to_be_focused()  # focus moved on to the new answer's button
    await expect(yes).to_be_hidden()  # an answered question's buttons are put away

    await menu.click()  # the mouse
    await expect(log).to_contain_text("Nút: menu")

    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    bubbles = page.locator(".bubble")
    await expect(bubbles).to_have_text(
        [
            "Bạn: dang ky khai sinh",
            "Một cửa: Bạn hỏi: dang ky khai sinh",
            "Một cửa: Bạn có giấy khai sinh không?",
            "Bạn: Có",
            "Một cửa: Tốt lắm.",
            "Bạn: Menu",
            "Một cửa: Nút: menu",
        ]
    )
    # The portal link stays usable in the record; it opens a new tab.
    link = page.get_by_role("link", name="Cổng dịch vụ công")
    await expect(link).to_have_attribute("href", "https://dichvucong.gov.vn")


async def test_a_lost_answer_is_recovered_once(page: Page, scripted: ScriptedDialog) -> None:
    dropped: list[str] = []

    async def drop_first_answer(route: Route) -> None:
        if dropped:
            await route.continue_()
            return
        await route.fetch()  # the server handles the message...
        dropped.append(route.request.post_data or "")
        await route.abort("connectionreset")  # ...but the phone never gets the answer

    await page.route("**/api/chat", drop_first_answer)
    await page.get_by_label("Câu hỏi của bạn").fill("dang ky khai sinh")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("button", name="Có", exact=True)).to_be_enabled()
    await expect(page.locator(".msg.user")).to_have_count(1)
    await expect(page.locator(".msg.bot")).to_have_count(2)
    assert len(dropped) == 1
    assert [m.text for m in scripted.received] == ["dang ky khai sinh"]  # handled once
    await expect(page.locator("#status")).to_be_empty()


async def test_offline_send_keeps_the_text_and_says_so(page: Page) -> None:
    await page.context.set_offline(True)
    box = page.get_by_label("Câu hỏi của bạn")
    await box.fill("lam cccd")
    await page.keyboard.press("Enter")

    await expect(page.get_by_role("alert")).to_contain_text("Mất kết nối", timeout=15_000)
    await expect(box).to_have_value("lam cccd")  # nothing typed is lost
    await expect(page.locator(".msg.user")).to_have_count(0)

    await page.context.set_offline(False)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("log")).to_contain_text("Bạn hỏi: lam cccd")
    await expect(page.locator("#status")).to_be_empty()


async def test_a_reminder_reaches_the_open_page(page: Page, app: App) -> None:
    await page.get_by_label("Câu hỏi của bạn").fill("nhac toi")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("log")).to_contain_text("Tôi sẽ nhắc bạn.")

    assert await app.reminders.run_once() == 1  # the reminder falls due while the page is open

    resume = page.get_by_role("button", name="Tiếp tục")
    await expect(resume).to_be_enabled(timeout=15_000)  # fetched by the page's next poll
    await resume.click()
    await expect(page.get_by_role("log")).to_contain_text("Tốt lắm.")


async def test_the_language_button_shows_the_catalogs_english(
    page: Page, scripted: ScriptedDialog
) -> None:
    vi, en = translator("vi").gettext, translator("en").gettext
    box = page.get_by_label(vi("Your question"))
    await expect(box).to_have_attribute("placeholder", "Ví dụ: làm căn cước")
    await expect(page).to_have_title(f"{vi('Một cửa')} – {vi('Public service questions')}")

    await page.get_by_role("button", name=en("Switch to English")).click()

    await expect(page.locator("html")).to_have_attribute("lang", "en")
    box = page.get_by_label(en("Your question"))
    await expect(box).to_have_attribute("placeholder", en("e.g. ID card"))
    await expect(page.locator("#send")).to_have_text(en("Send"))
    await expect(page.locator("#subtitle")).to_have_text(en("Public service questions"))
    await expect(page).to_have_title("Một cửa – Public service questions")
    await expect(page.locator("#welcome")).to_contain_text("Hello! I help you")
    back = page.get_by_role("button", name=vi("Switch to Vietnamese"))
    await expect(back).to_have_text("Tiếng Việt")
    await expect(back).to_have_attribute("lang", "vi")  # read out in Vietnamese

    await page.get_by_role("button", name=en("Birth registration")).click()
    await expect(page.get_by_role("log")).to_contain_text("Bạn hỏi: Birth registration")
    await expect(page.locator(".msg.user .bubble")).to_have_text("You: Birth registration")
    assert scripted.received[0].locale == "en"

    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    await expect(page.get_by_label(en("Your question"))).to_have_attribute(
        "placeholder", en("e.g. ID card")
    )
    await page.get_by_role("button", name="Chuyển sang tiếng Việt").click()
    await expect(page.get_by_label("Câu hỏi của bạn")).to_be_visible()
    await expect(page.locator("#send")).to_have_text("Gửi")


async def test_the_page_never_holds_its_identity(page: Page, scripted: ScriptedDialog) -> None:
    """The identity is an HttpOnly cookie: the page's scripts cannot read it, store it or
    put it in a URL, yet the browser sends it with every message."""
    await page.get_by_label("Câu hỏi của bạn").fill("xin chao")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("log")).to_contain_text("Bạn hỏi: xin chao")

    [cookie] = await page.context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"]) == ("motcua_id", True, "Strict")
    user = scripted.received[0].ref.user_id
    assert cookie["value"].startswith(user + ".")
    assert await page.evaluate("document.cookie") == ""
    stored = await page.evaluate("JSON.stringify(window.localStorage)")
    assert user not in stored and "motcua.user" not in stored


async def test_the_paperclip_sends_a_photo_the_server_keeps_by_its_bytes(
    page: Page, scripted: ScriptedDialog, tmp_path: Path
) -> None:
    photo = tmp_path / "giay-khai-sinh.jpg"
    photo.write_bytes(JPEG)

    await page.get_by_label("Gửi ảnh hoặc tệp PDF giấy tờ").set_input_files(str(photo))

    await expect(page.locator(".msg.user")).to_have_text(["Bạn: 📎 giay-khai-sinh.jpg"])
    await expect(page.locator(".msg.bot")).to_have_count(2)
    (sent,) = [m for m in scripted.received if m.attachment is not None]
    assert sent.attachment is not None and sent.attachment.paper is not None
    assert (sent.attachment.content_type, sent.attachment.size) == ("image/jpeg", len(JPEG))
