"""The web chat on the whole real stack in headless Chromium: a citizen asks "dang ky khai sinh"
by typing, picks their case, opens the checklist and answers it with the keyboard and the mouse,
reloads and finds everything where it was, then switches the page to English."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser

BIRTH = "1.001193"  # Thủ tục đăng ký khai sinh (commune level)


async def test_birth_registration_checklist_by_keyboard_and_mouse(real_page: Page) -> None:
    page, log = real_page, real_page.get_by_role("log")

    await page.get_by_label("Câu hỏi của bạn").fill("dang ky khai sinh")
    await page.keyboard.press("Enter")
    case = page.locator(f'#log button:enabled[data-payload="proc:{BIRTH}"]')
    await expect(case).to_be_visible()  # "which case is yours?" with one button per variant

    await case.click()  # the mouse picks the plain case
    await expect(log).to_contain_text("Thủ tục đăng ký khai sinh")
    await expect(log).to_contain_text(BIRTH)  # the answer card names the national code
    checklist = page.locator(f'#log button:enabled[data-payload="cl:go:{BIRTH}"]')
    await expect(checklist).to_be_focused()  # focus moved to the new answer's first button

    await page.keyboard.press("Enter")  # the keyboard opens the checklist
    usual = page.locator(f'#log button:enabled[data-payload="cl:case:{BIRTH}:u"]')
    await expect(usual).to_be_focused()  # which case is theirs: the usual one first
    await page.keyboard.press("Enter")
    await expect(log).to_contain_text(re.compile(r"1/\d+"))
    have = page.locator('#log button:enabled[data-payload^="cl:have:"]')
    await expect(have).to_be_focused()
    await page.keyboard.press("Enter")  # "have it"
    await expect(log).to_contain_text(re.compile(r"2/\d+"))
    await page.keyboard.press("Tab")  # on to "don't have it yet"
    missing = page.locator('#log button:enabled[data-payload^="cl:miss:"]')
    await expect(missing).to_be_focused()
    await page.keyboard.press("Space")
    await expect(log).to_contain_text(re.compile(r"3/\d+"))
    before = await page.locator(".bubble").all_inner_texts()

    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")

    await expect(page.locator(".bubble")).to_have_text(before)  # the conversation is back
    current = page.locator("#log button:enabled")
    await expect(current.first).to_have_attribute("data-payload", re.compile(r"^cl:have:"))
    await current.first.click()  # and its current buttons still work
    await expect(log).to_contain_text(re.compile(r"4/\d+"))


async def test_language_toggle_switches_page_and_answers(real_page: Page) -> None:
    page = real_page

    await page.get_by_role("button", name="Switch to English").click()

    await expect(page.locator("html")).to_have_attribute("lang", "en")
    box = page.get_by_label("Your question")
    await expect(box).to_have_attribute("placeholder", re.compile("ID card"))
    await box.fill("menu")
    await page.keyboard.press("Enter")
    await expect(page.locator('#log button[data-payload="m:ask"]')).to_have_text(
        "Ask about a procedure"
    )
    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    await expect(page.get_by_role("button", name="Chuyển sang tiếng Việt")).to_be_visible()


async def test_the_link_code_asked_for_is_shown_and_never_restored(real_page: Page) -> None:
    page, log = real_page, real_page.get_by_role("log")
    await page.get_by_label("Câu hỏi của bạn").fill("liên kết")
    await page.keyboard.press("Enter")
    await page.get_by_role("button", name="Lấy mã liên kết").click()
    # The history keeps the code hidden; the answer to the request shows it to the asker.
    await expect(log).to_contain_text(re.compile(r"Mã: \d{3} \d{3} — dùng trong 10 phút"))
    await expect(log).not_to_contain_text("•••")

    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    await expect(log).to_contain_text("Mã: ••• •••")  # kept nowhere, so not shown again
    # Lost with the reload, a new one is one tap away.
    await page.get_by_role("button", name="Lấy mã mới").click()
    await expect(log.locator(".msg.bot").last).to_contain_text(re.compile(r"Mã: \d{3} \d{3}"))


async def test_english_marks_vietnamese_and_both_language_controls_agree(real_page: Page) -> None:
    page, log = real_page, real_page.get_by_role("log")
    await page.get_by_role("button", name="Switch to English").click()
    await page.get_by_label("Your question").fill("dang ky khai sinh")
    await page.keyboard.press("Enter")
    await page.locator(f'#log button:enabled[data-payload="proc:{BIRTH}"]').click()
    await expect(log).to_contain_text("Procedure code:")
    # The official wording is marked Vietnamese; the English around it is not.
    marked = page.locator('#log .msg.bot span[lang="vi"]')
    card = page.locator("#log .msg.bot").last.locator('span[lang="vi"]')
    await expect(card.first).to_have_text("Thủ tục đăng ký khai sinh")
    await expect(card.filter(has_text="Cấp xã")).not_to_have_count(0)  # "Where: Cấp xã …"
    await expect(marked.filter(has_text="Procedure code")).to_have_count(0)
    await expect(marked.filter(has_text="Where")).to_have_count(0)

    # Vietnamese chosen in the chat's menu switches the page too.
    await page.get_by_label("Your question").fill("menu")
    await page.keyboard.press("Enter")
    await page.locator('#log button:enabled[data-payload="m:lang"]').click()
    await page.locator('#log button:enabled[data-payload="lang:vi"]').click()
    await expect(page.locator("html")).to_have_attribute("lang", "vi")
    await expect(page.get_by_role("button", name="Switch to English")).to_be_visible()
    await expect(marked).to_have_count(0)  # a Vietnamese page needs no marks

    # And the page's button, pressed after that choice, wins in the chat. (The page takes no
    # new message while the choice is on its way: wait for its answer first.)
    await expect(page.locator("#send")).to_be_enabled()
    await page.get_by_role("button", name="Switch to English").click()
    await page.get_by_label("Your question").fill("menu")
    await page.keyboard.press("Enter")
    await expect(page.locator('#log button:enabled[data-payload="m:ask"]')).to_have_text(
        "Ask about a procedure"
    )


async def test_a_long_paste_is_sent_whole_and_the_answer_says_how_much_was_read(
    real_page: Page,
) -> None:
    """A citizen pastes a letter of 5,000 characters: the page used to cut it to 1,000 without
    a word, and the answer then named the wrong length."""
    page = real_page
    letter = ("Tôi muốn hỏi thủ tục đăng ký khai sinh cho con tôi sinh ở bệnh viện. " * 80)[:5000]
    await page.get_by_label("Câu hỏi của bạn").focus()
    await page.keyboard.insert_text(letter)
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("log")).to_contain_text(
        "tôi đọc 300 ký tự đầu trong số 5000 ký tự"
    )
    await expect(page.locator("#log .msg.user").last).to_contain_text(letter[-40:])


async def test_back_to_the_assistant_stays_in_reach_while_writing_to_the_staff(
    real_page: Page,
) -> None:
    """What a citizen writes to the commune staff gets no answer from motcua: the button that
    takes them back must not be greyed out by it."""
    page, log = real_page, real_page.get_by_role("log")
    box = page.get_by_label("Câu hỏi của bạn")
    for typed in ("hoi can bo", "Cho tôi hỏi làm khai sinh cho cháu ở đâu ạ", "ba dinh ha noi"):
        await box.fill(typed)
        await box.press("Enter")
        await expect(page.locator("#send")).to_be_enabled()
    await page.locator("#log button:enabled", has_text="Đúng, nơi tôi ở").click()
    back = page.locator("#log button", has_text="Quay lại trợ lý")
    await expect(back).to_be_enabled()
    await box.fill("Cán bộ ơi, cháu sinh ở bệnh viện tỉnh")
    await box.press("Enter")
    await expect(log.locator(".msg.user").last).to_contain_text("bệnh viện tỉnh")
    await expect(page.locator("#send")).to_be_enabled()
    await expect(back).to_be_enabled()
    await back.click()
    await expect(log).to_contain_text("Bạn đã quay lại với trợ lý")


async def test_deleting_my_data_is_confirmed_on_the_page_and_gone_after_a_reload(
    real_page: Page,
) -> None:
    """The erasure keeps nothing of its own turn, not even its answer: the page used to read
    the answer from the history only, and showed nothing at all."""
    page, log = real_page, real_page.get_by_role("log")
    box = page.get_by_label("Câu hỏi của bạn")
    for typed in ("dang ky ket hon", "xoá dữ liệu của tôi"):
        await box.fill(typed)
        await box.press("Enter")
        await expect(page.locator("#send")).to_be_enabled()
    yes = page.locator("#log button", has_text="Có, xoá hết")
    await yes.click()
    await expect(log.locator(".msg.bot").last).to_contain_text("Đã xoá toàn bộ dữ liệu")
    await expect(yes).to_be_disabled()

    await page.reload()
    await page.wait_for_selector("body[data-ready=true]")
    await expect(log).not_to_contain_text("kết hôn")
    await expect(log).not_to_contain_text("Đã xoá")
    await expect(page.locator("#welcome")).to_be_visible()
