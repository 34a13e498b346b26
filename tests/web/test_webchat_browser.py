"""The web chat page in real headless Chromium, on a phone-sized screen: typing, pressing
buttons with the keyboard and the mouse, and a reload that restores the conversation."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, Route, expect
from webchat_support import ScriptedDialog

from bot.app import App

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
