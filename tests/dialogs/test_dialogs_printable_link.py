"""The card and the checklist's summary link to the printable page of the citizen's case."""

from __future__ import annotations

from chat_harness import ChatHarness

from knowledge.base import LocalKnowledgeBase

BIRTH = "1.001193"
ABANDONED = "1"  # the section "Trường hợp trẻ em bị bỏ rơi" of the birth registration


def test_the_card_and_the_summary_link_to_the_page(knowledge: LocalKnowledgeBase) -> None:
    web = ChatHarness(knowledge=knowledge, channel="web")
    web.payload(f"proc:{BIRTH}").read_on()
    assert web.url_of("Bản in danh sách giấy tờ") == f"/p/{BIRTH}"
    web.press("Xem giấy tờ cần chuẩn bị").press("Trẻ em bị bỏ rơi")
    web.press("Tạm dừng")
    web.payload(f"cl:sum:{BIRTH}")
    assert web.url_of("Bản in danh sách giấy tờ") == f"/p/{BIRTH}?case={ABANDONED}"

    english = ChatHarness(knowledge=knowledge, channel="web", locale="en")
    english.payload(f"proc:{BIRTH}").read_on()
    assert english.url_of("Checklist to print") == f"/p/{BIRTH}?lang=en"

    # Another app needs motcua's public address; without one there is no link at all.
    terminal = ChatHarness(knowledge=knowledge)
    terminal.payload(f"proc:{BIRTH}").read_on()
    assert "Bản in danh sách giấy tờ" not in terminal.labels
