"""The console's announcements page over HTTP: bad input is refused with the reasons beside their
fields, what was typed kept and nothing stored; the preview shows each app's messages; commune
staff see and cancel only their own communes' announcements (403 for another's), and every
action is in the audit log."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from aiohttp import FormData
from console_support import Client, Staffing, csrf

from bot.announcements.compose import MAX_IMAGE_BYTES, MAX_TEXT
from bot.announcements.store import SqlAnnouncements, State
from bot.app import App
from bot.handoffs import VIETNAM
from knowledge.communes import units

OURS, THEIRS = "00004", "09832"  # Phường Ba Đình, Xã Hoài Đức (Hà Nội)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _form(token: str, **fields: str | bytes | list[str]) -> FormData:
    """The compose form as a browser sends it (multipart, the picture as a file)."""
    form = FormData()
    form.add_field("csrf", token)
    for name, value in fields.items():
        if isinstance(value, bytes):
            form.add_field(name, io.BytesIO(value), filename="anh.png", content_type="image/png")
        elif isinstance(value, list):
            for each in value:
                form.add_field(name, each)
        else:
            form.add_field(name, value)
    return form


def _later(app: App, days: int = 1) -> str:
    """A sending time ``days`` from now as typed in the form: Vietnam time, to the minute."""
    return (
        (app.console.clock.now() + timedelta(days=days))
        .astimezone(VIETNAM)
        .strftime("%Y-%m-%dT%H:%M")
    )


async def _stored(app: App) -> list[int]:
    async with app.database.transaction() as session:
        return [a.id for a in await SqlAnnouncements(session).list(None, 100)]


async def _post(client: Client, **fields: str | bytes | list[str]) -> tuple[int, str]:
    token = await csrf(client, "/console/announcements/new")
    answer = await client.post("/console/announcements/new", data=_form(token, **fields))
    return answer.status, await answer.text()


@pytest_asyncio.fixture(loop_scope="session")
async def staff(staffing: Staffing) -> AsyncIterator[Client]:
    """Signed in as a staff member of commune 00004 only."""
    await staffing.add("--commune", OURS, "can.bo@xa.vn")
    async with staffing.signed_in("can.bo@xa.vn") as client:
        yield client


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"text_vi": "   "}, "Hãy viết nội dung thông báo bằng tiếng Việt."),
        ({"text_vi": "a" * (MAX_TEXT + 1)}, f"tối đa {MAX_TEXT} ký tự"),
        ({"image": b"GIF89a" + b"\x00" * 64}, "Ảnh phải là tệp JPEG hoặc PNG."),
        ({"image": PNG + b"\x00" * MAX_IMAGE_BYTES}, "tối đa 1024 KB"),
        ({"link": "javascript:alert(1)"}, "https://"),
        ({"when": "later", "send_at": "2020-01-01T08:00"}, "Thời điểm gửi đã qua"),
        ({"when": "later", "send_at": "ngày mai"}, "24/12/2026 08:00"),
        ({"when": "later", "send_at": "9999-12-31T23:59-07:00"}, "24/12/2026 08:00"),
        ({"when": "later", "send_at": "01/01/0001 00:00"}, "Thời điểm gửi đã qua"),
        ({"typed_communes": "99999"}, "Không có xã/phường nào mang mã 99999"),
        ({"communes": [], "typed_communes": ""}, "Hãy chọn ít nhất một xã/phường"),
    ],
)
async def test_bad_input_is_refused_with_its_reason_and_nothing_is_stored(
    admin: Client, app: App, fields: dict[str, str | bytes | list[str]], reason: str
) -> None:
    typed = {
        "text_vi": "Lịch tiêm vắc-xin sởi ngày 10/12 <b>tại trạm y tế</b>",
        "typed_communes": OURS,
        "action": "send",
        **fields,
    }
    status, page = await _post(admin, **typed)
    assert status == 400
    assert reason in page, page
    assert 'aria-invalid="true"' in page
    if "text_vi" not in fields:  # what was typed is kept, as text
        assert "tại trạm y tế&lt;/b&gt;" in page
    assert await _stored(app) == []


async def test_a_staff_member_cannot_address_another_commune_or_a_province(
    staff: Client, app: App
) -> None:
    status, page = await _post(staff, text_vi="Họp dân", communes=[THEIRS], action="send")
    assert status == 400 and f"không được gửi cho: {THEIRS}" in page
    status, page = await _post(staff, text_vi="Họp dân", province="1", action="send")
    assert status == 400 and "Chỉ quản trị viên mới được gửi thông báo cho cả tỉnh" in page
    assert await _stored(app) == []


async def test_a_body_too_large_is_a_page_in_the_consoles_language(admin: Client) -> None:
    status, page = await _post(admin, text_vi="Ảnh lớn", image=PNG + b"\x00" * 3 * 2**20)
    assert status == 413 and "Ảnh chỉ được tối đa 1 MB" in page


async def test_the_preview_shows_each_apps_messages_and_keeps_the_picture(
    admin: Client, app: App
) -> None:
    text = "Thông báo dài. " * 133  # 1,995 characters: one message, but not with its heading
    status, page = await _post(
        admin,
        text_vi=text.strip(),
        link="https://xa.vn/tiem-chung",
        image=PNG,
        typed_communes=OURS,
        action="preview",
    )
    assert status == 200
    for app_name in ("Telegram", "Zalo", "Messenger", "Trò chuyện trên web"):
        assert f"<h3>{app_name}</h3>" in page
    assert page.count("Xem ảnh") == 4
    assert "nhận được thành 2 phần" in page  # Zalo and Messenger cut it in two, Telegram not
    assert page.count("nhận được thành 2 phần") == 2
    kept = re.search(r'name="image_kept" value="([^"]+)"', page)
    assert kept is not None
    assert await _stored(app) == []  # a preview sends nothing

    # Sent after the preview without choosing the picture again: the kept one goes.
    status, _ = await _post(
        admin,
        text_vi="Họp dân",
        typed_communes=OURS,
        image_kept=kept.group(1),
        image=b"",
        action="send",
    )
    assert status == 200
    [made] = await _stored(app)
    async with app.database.transaction() as session:
        assert await SqlAnnouncements(session).image(made) == (PNG, "image/png")


async def test_staff_see_and_cancel_only_their_own_communes_announcements(
    admin: Client, staff: Client, app: App
) -> None:
    made = {}
    for commune in (OURS, THEIRS):
        status, _ = await _post(
            admin,
            text_vi=f"Thông báo của xã {commune}",
            typed_communes=commune,
            when="later",
            send_at=_later(app),
            action="send",
        )
        assert status == 200
        async with app.database.transaction() as session:
            made[commune] = (await SqlAnnouncements(session).list([int(commune)], 1))[0].id
    theirs, ours = made[THEIRS], made[OURS]

    listed = await (await staff.get("/console/announcements")).text()
    assert f"Thông báo của xã {OURS}" in listed and f"Thông báo của xã {THEIRS}" not in listed
    for path in ("", "/progress", "/image"):
        refused = await staff.get(f"/console/announcements/{theirs}{path}")
        assert refused.status == 403, path
    token = await csrf(staff, "/console/announcements")
    refused = await staff.post(f"/console/announcements/{theirs}/cancel", data={"csrf": token})
    assert refused.status == 403

    page = await (await staff.get(f"/console/announcements/{ours}")).text()
    assert "Hủy thông báo này" in page
    # The button is part of the live progress, which drops it once the sending has begun.
    live = f"/console/announcements/{ours}/progress"
    assert "Hủy thông báo này" in await (await staff.get(live)).text()
    cancelled = await staff.post(f"/console/announcements/{ours}/cancel", data={"csrf": token})
    assert cancelled.status == 200 and "Đã hủy" in await cancelled.text()
    assert "Hủy thông báo này" not in await (await staff.get(live)).text()
    again = await staff.post(f"/console/announcements/{ours}/cancel", data={"csrf": token})
    assert again.status == 409 and "Thông báo này đã được hủy trước đó." in await again.text()

    async with app.database.transaction() as session:
        announcements = SqlAnnouncements(session)
        assert (await announcements.get(theirs)).state is State.SCHEDULED  # type: ignore[union-attr]
        assert (await announcements.get(ours)).state is State.CANCELLED  # type: ignore[union-attr]
    audit = await (await staff.get("/console/audit")).text()
    assert "Đã hủy một thông báo" in audit and f"announcement:{ours}" in audit
    assert f"announcement:{theirs}" not in audit


async def test_an_admin_addresses_a_whole_province_which_its_communes_staff_see_not_cancel(
    admin: Client, staff: Client, app: App
) -> None:
    status, _ = await _post(
        admin,
        text_vi="Cảnh báo mưa lớn toàn thành phố",
        province="1",  # Thành phố Hà Nội
        when="later",
        send_at=_later(app),
        action="send",
    )
    assert status == 200
    async with app.database.transaction() as session:
        [made] = await SqlAnnouncements(session).list(None, 10)
    assert made.provinces == (1,) and len(made.communes) == len(units.communes_of(1))
    assert int(OURS) in made.communes

    page = await (await staff.get(f"/console/announcements/{made.id}")).text()
    assert "Cảnh báo mưa lớn toàn thành phố" in page and "Hủy thông báo này" not in page
    token = await csrf(staff, "/console/announcements")
    refused = await staff.post(f"/console/announcements/{made.id}/cancel", data={"csrf": token})
    assert refused.status == 403
    async with app.database.transaction() as session:
        assert (await SqlAnnouncements(session).get(made.id)).state is State.SCHEDULED  # type: ignore[union-attr]
