"""A citizen chooses their commune in the web chat on the whole real stack (dialogs, storage,
catalogs): by typing it without diacritics, then STOP ends it; an old address is confirmed. The
commune chosen is the one whose staff answer the citizen and whose desk their answer cards show,
and whose latest announcements "Thông báo của xã" lists, newest first, a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from support.announcements import published
from webchat_support import Client, identity

from bot.announcements.compose import Author, Draft, compose
from bot.announcements.store import SqlAnnouncements
from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.handoffs import CommuneInfo, SqlCommuneInfo, SqlHandoffs
from bot.storage.subscriptions import commune_of
from dialogs.dates import VIETNAM
from dialogs.messages import ConversationRef

BA_DINH = "00004"  # Phường Ba Đình, Hà Nội, as staff type its code
HOAI_DUC = 9832  # Xã Hoài Đức, Hà Nội


@pytest_asyncio.fixture(loop_scope="session")
async def real(settings: Settings) -> AsyncIterator[tuple[App, Client]]:
    async with (
        build_app(settings) as app,
        TestClient(TestServer(web_application(app))) as client,
    ):
        yield app, client


async def _say(client: Client, **body: Any) -> list[dict[str, Any]]:
    response = await client.post("/api/chat", json={"locale": "vi", **body})
    assert response.status == 200, await response.text()
    replies: list[dict[str, Any]] = (await response.json())["replies"]
    return replies


def _payload(replies: list[dict[str, Any]], label: str) -> str:
    [found] = [b["payload"] for r in replies for b in r["buttons"] if b["label"] == label]
    return str(found)


async def _commune(app: App, client: Client) -> str | None:
    async with app.database.transaction() as session:
        unit = await commune_of(session, ConversationRef("web", identity(client)))
    return None if unit is None else unit.label


async def test_a_typed_commune_is_kept_and_stop_ends_it(real: tuple[App, Client]) -> None:
    app, client = real
    replies = await _say(client, text="menu")
    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    assert "Bạn ở xã, phường nào?" in replies[-1]["text"]
    replies = await _say(client, text="phuong ba dinh")
    assert "Có phải Phường Ba Đình, Hà Nội không?" in replies[-1]["text"]
    replies = await _say(client, button=_payload(replies, "Đúng, nơi tôi ở"))
    assert "Phường Ba Đình, Hà Nội" in replies[0]["text"]
    assert await _commune(app, client) == "Phường Ba Đình, Hà Nội"

    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    assert "Xã, phường của bạn: Phường Ba Đình, Hà Nội" in replies[-1]["text"]

    replies = await _say(client, text="STOP")
    assert "không nhận thông báo của xã nữa" in replies[0]["text"]
    assert await _commune(app, client) is None


async def test_an_old_address_is_confirmed_before_it_is_kept(real: tuple[App, Client]) -> None:
    app, client = real
    replies = await _say(client, text="menu")
    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    replies = await _say(client, text="xa tan lap tinh phu tho")
    assert "thuộc Xã Văn Miếu, Phú Thọ" in replies[-1]["text"]
    assert await _commune(app, client) is None  # nothing kept before the citizen confirms
    await _say(client, button=_payload(replies, "Đúng, nơi tôi ở"))
    assert await _commune(app, client) == "Xã Văn Miếu, Phú Thọ"


async def _choose_ba_dinh(client: Client) -> list[dict[str, Any]]:
    replies = await _say(client, text="menu")
    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    replies = await _say(client, text="phuong ba dinh")
    return await _say(client, button=_payload(replies, "Đúng, nơi tôi ở"))


async def test_the_chosen_communes_staff_get_the_question(real: tuple[App, Client]) -> None:
    app, client = real
    await _choose_ba_dinh(client)
    replies = await _say(client, text="menu")
    await _say(client, button=_payload(replies, "Hỏi cán bộ"))
    await _say(client, text="Xin hỏi thứ 7 có làm việc không?")
    async with app.database.transaction() as session:
        handoff = await SqlHandoffs(session).open_for(ConversationRef("web", identity(client)))
    assert handoff is not None and handoff.commune == BA_DINH


async def test_the_chosen_communes_desk_is_added_to_answers(real: tuple[App, Client]) -> None:
    app, client = real
    async with app.database.transaction() as session:
        desk = CommuneInfo(
            BA_DINH, "Số 1 Đội Cấn", "024 3823 0000", "12345", "07:30", "17:00", "", ""
        )
        await SqlCommuneInfo(session).save(desk, app.console.clock.now())
    before = await _say(client, button="proc:1.014061")  # Cấp thẻ căn cước, cấp xã
    assert not any("Số 1 Đội Cấn" in reply["text"] for reply in before)
    await _choose_ba_dinh(client)
    after = await _say(client, button="proc:1.014061")
    assert any("Số 1 Đội Cấn" in reply["text"] for reply in after)


async def _ask_staff_from_ba_dinh(
    app: App, client: Client
) -> tuple[ConversationRef, list[dict[str, Any]]]:
    """A citizen with no commune asks the staff, is asked where first, and says Ba Đình."""
    replies = await _say(client, text="menu")
    ref = ConversationRef("web", identity(client))
    await _say(client, button=_payload(replies, "Hỏi cán bộ"))
    replies = await _say(client, text="Xin hỏi thứ 7 có làm việc không?")
    assert "Trước khi chuyển câu hỏi của bạn: bạn ở xã, phường nào?" in replies[0]["text"]
    assert "Bạn ở xã, phường nào?" in replies[-1]["text"]  # the commune picker, as in the menu
    async with app.database.transaction() as session:
        assert await SqlHandoffs(session).open_for(ref) is None  # nothing handed over yet
    replies = await _say(client, text="phuong ba dinh")
    return ref, await _say(client, button=_payload(replies, "Đúng, nơi tôi ở"))


async def test_a_citizen_with_no_commune_is_asked_for_it_before_the_staff_get_the_question(
    real: tuple[App, Client],
) -> None:
    app, client = real
    ref, replies = await _ask_staff_from_ba_dinh(app, client)
    # Said once, the ward by its own kind: a second message said it again, "của xã".
    assert len(replies) == 2
    assert replies[0]["text"].startswith(
        "Câu hỏi của bạn đã được chuyển tới cán bộ bộ phận một cửa của Phường Ba Đình, Hà Nội."
    )
    assert "xã" not in replies[0]["text"]
    async with app.database.transaction() as session:
        handoff = await SqlHandoffs(session).open_for(ref)
    assert handoff is not None and handoff.commune == BA_DINH  # that commune's staff get it
    # Asking a person is no request for announcements: they are offered, not subscribed to.
    assert await _commune(app, client) is None
    assert replies[-1]["text"] == "Nhận thông báo của Phường Ba Đình, Hà Nội tại đây?"
    yes = await _say(client, button=_payload(replies, "Có"))
    assert "Xong: xã, phường của bạn là Phường Ba Đình, Hà Nội" in yes[0]["text"]
    assert await _commune(app, client) == "Phường Ba Đình, Hà Nội"


async def test_no_to_the_announcements_keeps_the_commune_for_the_next_question_only(
    real: tuple[App, Client],
) -> None:
    app, client = real
    ref, replies = await _ask_staff_from_ba_dinh(app, client)
    no = await _say(client, button=_payload(replies, "Không"))
    assert "Vâng, bạn sẽ không nhận thông báo" in no[0]["text"]
    assert await _commune(app, client) is None
    async with app.database.transaction() as session:
        first = await SqlHandoffs(session).open_for(ref)
        assert first is not None
    await _say(client, text="ket thuc")
    await _say(client, text="hoi can bo")
    replies = await _say(client, text="Cho hỏi giờ làm việc chiều nay?")
    assert "chuyển tới cán bộ bộ phận một cửa của Phường Ba Đình" in replies[0]["text"]
    assert len(replies) == 1  # not asked the commune again, nor the announcements
    async with app.database.transaction() as session:
        second = await SqlHandoffs(session).open_for(ref)
    assert second is not None and second.id != first.id and second.commune == BA_DINH
    assert await _commune(app, client) is None


def _texts(replies: list[dict[str, Any]]) -> list[str]:
    return [str(reply["text"]) for reply in replies]


async def test_the_chosen_communes_latest_announcements_are_listed(
    real: tuple[App, Client],
) -> None:
    app, client = real
    now = app.console.clock.now()
    await _choose_ba_dinh(client)
    replies = await _say(client, text="menu")
    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    assert "chưa gửi thông báo nào" in replies[-1]["text"]
    assert "Xem thêm thông báo cũ hơn" not in [b["label"] for b in replies[-1]["buttons"]]

    day = timedelta(days=1)
    for age, text in ((4, "Họp dân"), (3, "Nộp thuế đất"), (2, "Cảnh báo bão"), (1, "Tiêm sởi")):
        await published(app.database, 4, text, now - age * day, link=f"https://xa.vn/{age}")
    await published(app.database, HOAI_DUC, "Tin của xã khác", now - day)
    scheduled = compose(
        Draft("Tin chưa đến giờ gửi", communes=[BA_DINH], send_at=now + day),
        Author.command_line(),
        now,
        lambda message: message,
    )
    async with app.database.transaction() as session:
        await SqlAnnouncements(session).create(scheduled, Author.command_line(), now)

    replies = await _say(client, button=_payload(replies, "Menu"))
    replies = await _say(client, button=_payload(replies, "Thông báo của xã"))
    texts = _texts(replies)
    assert texts[0] == "Thông báo của Phường Ba Đình, Hà Nội, mới nhất trước:"
    newest = (now - day).astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")
    assert texts[1] == f"{newest}\nTiêm sởi\nhttps://xa.vn/1"
    assert [t.split("\n")[1] for t in texts[1:]] == ["Tiêm sởi", "Cảnh báo bão", "Nộp thuế đất"]
    labels = [b["label"] for b in replies[-1]["buttons"]]
    assert labels == [
        "Xem thêm thông báo cũ hơn",
        "Đổi xã, phường",
        "Hủy đăng ký nhận thông báo",
        "Menu",
    ]

    replies = await _say(client, button=_payload(replies, "Xem thêm thông báo cũ hơn"))
    texts = _texts(replies)
    assert texts[0] == "Thông báo cũ hơn của Phường Ba Đình, Hà Nội:"
    assert [t.split("\n")[1] for t in texts[1:]] == ["Họp dân"]
    assert "Xem thêm thông báo cũ hơn" not in [b["label"] for b in replies[-1]["buttons"]]


async def test_a_citizen_asking_the_staff_mid_filing_is_offered_their_addresss_commune_first(
    real: tuple[App, Client],
) -> None:
    """The picker does not start at An Giang for someone who has just typed their address."""
    app, client = real
    replies = await _say(client, text="nop ho so")
    replies = await _say(client, button=_payload(replies, "Đăng ký khai sinh"))
    await _say(client, button=_payload(replies, "Tôi đồng ý"))
    for answer in ("Nguyen Thi Hoa", "001190012345", "0912 345 678"):
        await _say(client, text=answer)
    await _say(client, text="12 Tran Phu, p. Ba Dinh, Ha Noi")  # no accents, "p." for phường
    await _say(client, text="hoi can bo")
    replies = await _say(client, text="Noi sinh ghi the nao?")
    picker = replies[-1]
    assert "Theo địa chỉ bạn đã nhập" in picker["text"]
    assert [b["label"] for b in picker["buttons"]][:3] == [
        "Phường Ba Đình, Hà Nội",
        "Hà Nội",  # the address's province heads the provinces
        "An Giang",
    ]
    await _say(client, button=_payload(replies, "Phường Ba Đình, Hà Nội"))
    async with app.database.transaction() as session:
        handoff = await SqlHandoffs(session).open_for(ConversationRef("web", identity(client)))
    assert handoff is not None and handoff.commune == BA_DINH
