"""Commune staff see and act on their own communes only: every page and every action of another
commune's conversation, dossier or local information answers 403 and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from console_support import Client, Staffing, csrf

from bot.app import App
from bot.storage.dossiers import SqlDossiers
from bot.storage.handoffs import HandoffStatus, SqlCommuneInfo, SqlHandoffs
from bot.storage.reminders import SqlReminders
from dialogs.messages import ConversationRef
from dialogs.ports import PortalDossier, PortalFee
from dialogs.step import SubmitDossier

OURS, THEIRS = "00004", "00005"


@pytest_asyncio.fixture(loop_scope="session")
async def records(app: App) -> dict[str, int]:
    """A handed-over conversation and a dossier in each of two communes."""
    now = app.console.clock.now()
    found: dict[str, int] = {}
    async with app.database.transaction() as session:
        for commune in (OURS, THEIRS):
            ref = ConversationRef("web", f"citizen-of-{commune}")
            handoff = await SqlHandoffs(session).request(ref, commune, now)
            found[f"handoff:{commune}"] = handoff.id
            filing = SubmitDossier(
                key=f"key-{commune}",
                procedure="1.001193",
                request={"applicant": {"full_name": f"Người dân {commune}"}},
                consent_at=now.isoformat(),
                consent_version="2026-12-01",
            )
            await SqlDossiers(session).queue(ref, filing, "vi", now, commune)
            [dossier] = await SqlDossiers(session).for_ref(ref)
            found[f"dossier:{commune}"] = dossier.id
    return found


@pytest_asyncio.fixture(loop_scope="session")
async def staff(staffing: Staffing) -> AsyncIterator[Client]:
    """Signed in as a staff member of commune 00004 only."""
    await staffing.add("--commune", OURS, "can.bo@xa.vn")
    async with staffing.signed_in("can.bo@xa.vn") as client:
        yield client


async def test_another_communes_pages_are_refused(staff: Client, records: dict[str, int]) -> None:
    theirs, ours = records[f"handoff:{THEIRS}"], records[f"handoff:{OURS}"]
    for path in (
        f"/console/conversations/{theirs}",
        f"/console/conversations/{theirs}/messages",
        f"/console/dossiers/{records[f'dossier:{THEIRS}']}",
        f"/console/communes/{THEIRS}",
    ):
        refused = await staff.get(path)
        assert refused.status == 403, path
        assert "Không được phép" in await refused.text()
    for path in (
        f"/console/conversations/{ours}",
        f"/console/conversations/{ours}/messages",
        f"/console/dossiers/{records[f'dossier:{OURS}']}",
        f"/console/communes/{OURS}",
    ):
        assert (await staff.get(path)).status == 200, path
    queue = await (await staff.get("/console/conversations/live")).text()
    assert f"số {ours}" in queue and f"số {theirs}" not in queue
    dossiers = await (await staff.get("/console/dossiers")).text()
    assert "Người dân" not in dossiers  # the list shows codes and procedures, not applicants
    assert dossiers.count('href="/console/dossiers/') == 1


async def test_another_communes_actions_are_refused_and_change_nothing(
    staff: Client, records: dict[str, int], app: App
) -> None:
    theirs = records[f"handoff:{THEIRS}"]
    token = await csrf(staff)
    for action, extra in (
        ("claim", {}),
        ("release", {}),
        ("reply", {"text": "Xin chào"}),
        ("close", {}),
    ):
        refused = await staff.post(
            f"/console/conversations/{theirs}/{action}", data={"csrf": token, **extra}
        )
        assert refused.status == 403, action
    saved = await staff.post(
        f"/console/communes/{THEIRS}",
        data={"csrf": token, "days": "1", "opens": "07:00", "closes": "11:00"},
    )
    assert saved.status == 403
    async with app.database.transaction() as session:
        handoff = await SqlHandoffs(session).get(theirs)
        assert handoff is not None and handoff.status is HandoffStatus.WAITING
        assert await SqlReminders(session).for_conversation(handoff.ref) == []
        assert await SqlCommuneInfo(session).get(THEIRS) is None


async def test_two_staff_cannot_answer_the_same_conversation(
    staffing: Staffing, records: dict[str, int], app: App
) -> None:
    ours = records[f"handoff:{OURS}"]
    await staffing.add("--commune", OURS, "mot@xa.vn")
    await staffing.add("--commune", f"{OURS},{THEIRS}", "hai@xa.vn")
    async with staffing.signed_in("mot@xa.vn") as one, staffing.signed_in("hai@xa.vn") as two:
        one_token, two_token = await csrf(one), await csrf(two)
        path = f"/console/conversations/{ours}"
        assert (await one.post(f"{path}/claim", data={"csrf": one_token})).status == 200
        taken = await two.post(f"{path}/claim", data={"csrf": two_token})
        assert taken.status == 409 and "Một cán bộ khác đang trả lời" in await taken.text()
        answer = await two.post(f"{path}/reply", data={"csrf": two_token, "text": "Tôi trả lời"})
        assert answer.status == 400 and "Hãy nhận cuộc trò chuyện" in await answer.text()
        closed = await two.post(f"{path}/close", data={"csrf": two_token})
        assert closed.status == 409
        empty = await one.post(f"{path}/reply", data={"csrf": one_token, "text": "   "})
        assert empty.status == 400 and "Hãy viết câu trả lời trước" in await empty.text()
        long = await one.post(f"{path}/reply", data={"csrf": one_token, "text": "x" * 2001})
        assert long.status == 400 and "tối đa 2000 ký tự" in await long.text()
        assert (await one.post(f"{path}/release", data={"csrf": one_token})).status == 200
        assert (await two.post(f"{path}/claim", data={"csrf": two_token})).status == 200
        sent = await two.post(f"{path}/reply", data={"csrf": two_token, "text": "Tôi trả lời"})
        assert sent.status == 200
    async with app.database.transaction() as session:
        handoff = await SqlHandoffs(session).get(ours)
        assert handoff is not None
        [reply] = await SqlReminders(session).for_conversation(handoff.ref)
        assert reply.facts == {"text": "Tôi trả lời", "handoff": ours}


async def test_staff_see_only_their_communes_in_the_audit_log(
    staff: Client, admin: Client, records: dict[str, int]
) -> None:
    token = await csrf(admin)
    for commune in (OURS, THEIRS):
        claimed = await admin.post(
            f"/console/conversations/{records[f'handoff:{commune}']}/claim", data={"csrf": token}
        )
        assert claimed.status == 200
    theirs = await (await staff.get("/console/audit")).text()
    assert f"handoff:{records[f'handoff:{OURS}']}" in theirs
    assert f"handoff:{records[f'handoff:{THEIRS}']}" not in theirs
    everything = await (await admin.get("/console/audit")).text()
    assert f"handoff:{records[f'handoff:{THEIRS}']}" in everything


async def test_local_information_is_checked_field_by_field_and_saved(
    staff: Client, app: App
) -> None:
    token = await csrf(staff)
    form = {
        "csrf": token,
        "address": "Số 1 đường Lê Lợi",
        "phone": "gọi tôi",
        "opens": "17:00",
        "closes": "07:30",
        "map_url": "javascript:alert(1)",
    }
    page = await staff.post(f"/console/communes/{OURS}", data=form)
    html = await page.text()
    assert page.status == 400
    for message in (
        "Hãy nhập số điện thoại",
        "Hãy nhập liên kết bản đồ bắt đầu bằng https://",
        "Hãy chọn ít nhất một ngày",
        "Giờ đóng cửa phải sau giờ mở cửa",
    ):
        assert message in html
    assert 'value="Số 1 đường Lê Lợi"' not in html  # the address is a textarea
    assert "Số 1 đường Lê Lợi</textarea>" in html
    async with app.database.transaction() as session:
        assert await SqlCommuneInfo(session).get(OURS) is None
    good = {
        **form,
        "phone": "0243 123 4567",
        "opens": "07:30",
        "closes": "17:00",
        "map_url": "https://maps.example/xa",
    }
    days = [("days", day) for day in "123456"]
    saved = await staff.post(f"/console/communes/{OURS}", data=[*good.items(), *days])
    assert saved.status == 200 and "Đã lưu" in await saved.text()
    async with app.database.transaction() as session:
        info = await SqlCommuneInfo(session).get(OURS)
    assert info is not None and info.days == "123456" and info.phone == "0243 123 4567"


async def test_a_dossier_shows_the_changes_the_citizen_was_told_of(
    staff: Client, records: dict[str, int], app: App
) -> None:
    now = app.console.clock.now()
    code = "000.00.20.H39-261124-0007"
    async with app.database.transaction() as session:
        dossiers = SqlDossiers(session)
        dossier = await dossiers.get(records[f"dossier:{OURS}"])
        assert dossier is not None
        receipt = PortalDossier(
            code, "received", "Đã tiếp nhận", "1.001193", None, False, PortalFee(0), "pickup", now
        )
        await dossiers.filed(dossier, receipt, now)
        notices = SqlReminders(session)
        other = {"code": "000.00.20.H39-261124-0008", "status": "refused", "note": "Khác"}
        await notices.schedule(dossier.ref, now, "fd:st", now, facts=other)
        facts = {"code": code, "status": "accepted", "note": "Đủ giấy tờ <b>hợp lệ</b>"}
        await notices.schedule(dossier.ref, now, "fd:st", now, facts=facts)
    page = await staff.get(f"/console/dossiers/{dossier.id}")
    html = await page.text()
    assert page.status == 200 and code in html and "Người dân 00004" in html
    assert "Đủ giấy tờ &lt;b&gt;hợp lệ&lt;/b&gt;" in html  # the officer's note, as text
    assert "Khác" not in html  # another dossier's change


async def test_staff_of_two_communes_read_each_by_its_name_not_its_code(
    staffing: Staffing, records: dict[str, int]
) -> None:
    """The queue, a conversation and the dossiers name the commune: "00004" means nothing to
    someone at the desk, "Phường Ba Đình, Hà Nội" does."""
    await staffing.add("--commune", f"{OURS},{THEIRS}", "hai@xa.vn")
    async with staffing.signed_in("hai@xa.vn") as both:
        for path in (
            "/console/",
            f"/console/conversations/{records[f'handoff:{OURS}']}",
            "/console/dossiers",
            "/console/communes",
        ):
            page = await both.get(path)
            assert page.status == 200
            assert "00004 (Phường Ba Đình, Hà Nội)" in await page.text(), path
