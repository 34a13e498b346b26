"""The web chat in headless Chromium shows what a card marks as mattering most in <strong>,
with a name holding "<" and "&" shown as written (never as markup), also after a reload; and a
long card pages to its end with "Xem thêm", its checklist button working from the last part."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import pytest
from playwright.async_api import Page, expect

from dialogs.pages import PAGE_CHARS
from dialogs.ports import KnowledgeBase
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.browser

NAME = "Đăng ký tạm trú <b>nhà trọ</b> & ký túc xá"


async def test_a_card_marks_its_facts_in_bold_and_pages_to_its_end(
    page_over: Callable[[KnowledgeBase], AbstractAsyncContextManager[Page]],
) -> None:
    residence = LocalKnowledgeBase.load().get("1.004194")
    assert residence is not None
    knowledge = LocalKnowledgeBase((dataclasses.replace(residence, name=NAME),))
    async with page_over(knowledge) as page:
        await page.get_by_label("Câu hỏi của bạn").fill("đăng ký tạm trú")
        await page.keyboard.press("Enter")
        bold = page.locator(".msg.bot strong")
        await expect(bold.first).to_have_text(NAME)  # as text: no tag was made of it
        await expect(bold.nth(1)).to_have_text("Nơi thực hiện:")
        assert await page.locator(".msg.bot b").count() == 0
        await page.reload()
        await page.wait_for_selector("body[data-ready=true]")
        await expect(page.locator(".msg.bot strong").first).to_have_text(NAME)  # from history

        more = page.locator('#log button:enabled[data-payload^="more:"]')
        await expect(more).to_have_text(re.compile(r"^Xem thêm \(2/\d+\)$"))
        parts = int((await more.inner_text()).rstrip(")").rsplit("/", 1)[1])
        for part in range(2, parts + 1):
            await expect(more).to_have_text(f"Xem thêm ({part}/{parts})")
            await more.click()
        await expect(more).to_have_count(0)
        await expect(page.get_by_role("log")).to_contain_text("Mã thủ tục: 1.004194")  # the end
        bubbles = await page.locator(".msg.bot .bubble").all_inner_texts()
        assert all(len(text.removeprefix("Một cửa: ")) <= PAGE_CHARS for text in bubbles)
        await page.locator('#log button:enabled[data-payload^="cl:go:"]').click()
        await expect(page.get_by_role("log")).to_contain_text("Mình cùng xem từng giấy tờ nhé.")
