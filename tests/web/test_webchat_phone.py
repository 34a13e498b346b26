"""The web chat on a 320-pixel-wide phone in headless Chromium: a long procedure card comes in
bubbles of at most 600 characters, "Xem thêm" continues it, nothing scrolls sideways, and every
button is big enough to tap."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser

TEMPORARY_RESIDENCE = "1.004194"
MIN_TAP = 44
"""The smallest comfortable touch target, in CSS pixels (WCAG 2.5.5, Apple's HIG)."""


async def _fits(page: Page) -> None:
    """Nothing is wider than the screen, and every button on it can be tapped."""
    wide = await page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert wide[0] <= wide[1] == 320, wide
    for button in await page.locator("#log .btn:visible, #lang, #send").all():
        box = await button.bounding_box()
        assert box is not None
        assert box["height"] >= MIN_TAP and box["width"] >= MIN_TAP, (
            await button.inner_text(),
            box,
        )
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320, (await button.inner_text(), box)


async def test_a_long_card_reads_on_a_small_phone(small_phone_page: Page) -> None:
    page, log = small_phone_page, small_phone_page.get_by_role("log")
    await _fits(page)
    await page.get_by_label("Câu hỏi của bạn").fill("đăng ký tạm trú")
    await page.keyboard.press("Enter")
    card = page.locator(f'#log button:enabled[data-payload="proc:{TEMPORARY_RESIDENCE}"]')
    if await card.count():  # the citizen picks the procedure among its variants
        await card.first.click()
    more = page.locator('#log button:enabled[data-payload^="more:"]')
    await expect(log).to_contain_text("Đăng ký tạm trú")
    await expect(more).to_have_text(re.compile(r"^Xem thêm \(2/\d\)$"))
    parts = int((await more.inner_text()).rstrip(")").rsplit("/", 1)[1])
    assert parts >= 3  # the card is longer than two phone screens
    for part in range(2, parts + 1):  # each part continues the card, and offers the next
        await expect(more).to_have_text(f"Xem thêm ({part}/{parts})")
        await _fits(page)
        await more.click()
    await expect(more).to_have_count(0)
    await expect(log).to_contain_text(f"Mã thủ tục: {TEMPORARY_RESIDENCE}")  # the card's end
    # Every bubble the chat showed is phone-sized.
    for text in await page.locator(".msg.bot .bubble").all_inner_texts():
        assert len(text.removeprefix("Một cửa: ")) <= 600, text
    await expect(
        page.locator('#log button:enabled[data-payload^="cl:go:"]')
    ).to_be_visible()  # the card's own buttons come with its last part
    await _fits(page)
