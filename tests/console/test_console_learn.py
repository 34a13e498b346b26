"""What staff learn, through the console: the review queue, linking and declining, the
knowledge-base pages, analytics with CSV; commune staff see only their communes (403)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio
from console_support import Client, Staffing, csrf
from sqlalchemy import update
from support.procedures import MARRIAGE, PROCEDURES

from bot.app import App, build_app
from bot.config import Settings
from bot.handoffs import VIETNAM
from bot.insights import store
from bot.storage.handoffs import SqlHandoffs
from bot.storage.tables import HandoffRow
from dialogs.messages import ConversationRef, IncomingMessage
from dialogs.step import NoteQuestion, RateHelp
from knowledge.base import LocalKnowledgeBase

CITIZEN = ConversationRef("web", "citizen-1")
UNKNOWN = "thủ tục cho chó mèo đi tiêm phòng"


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings) -> AsyncIterator[App]:
    """The composed app over a few real procedures, so questions find (or miss) them."""
    async with build_app(
        settings, knowledge=LocalKnowledgeBase(PROCEDURES), platforms=False
    ) as built:
        yield built


async def _ask(app: App, text: str) -> str:
    replies = await app.dispatcher.handle(IncomingMessage(CITIZEN, text=text, locale="vi"))
    return "\n".join(r.text for r in replies)


async def _note(app: App, commune: str | None, text: str) -> None:
    async with app.database.transaction() as session:
        await store.record(
            session, NoteQuestion("none", None, text), "telegram", commune, app.console.clock.now()
        )


async def _group_form(client: Client, phrase: str) -> dict[str, str]:
    page = await client.get("/console/learn")
    html = await page.text()
    assert page.status == 200 and phrase in html
    ids = html.split('name="ids" value="', 1)[1].split('"', 1)[0]
    return {"csrf": await csrf(client, "/console/learn"), "ids": ids, "phrase": phrase}


async def test_a_linked_question_is_answered_next_time(app: App, admin: Client) -> None:
    assert MARRIAGE.name not in await _ask(app, UNKNOWN)
    form = await _group_form(admin, UNKNOWN)

    wrong = await admin.post("/console/learn/link", data={**form, "procedure": "9.999"})
    assert wrong.status == 400 and "Không có thủ tục nào có mã này" in await wrong.text()
    assert MARRIAGE.name not in await _ask(app, "thu tuc cho cho meo di tiem phong")

    done = await admin.post("/console/learn/link", data={**form, "procedure": MARRIAGE.code})
    assert done.status == 200 and UNKNOWN not in await done.text()
    assert MARRIAGE.name in await _ask(app, "thu tuc cho cho meo di tiem phong")
    page = await admin.get(f"/console/knowledge/{MARRIAGE.code}")
    assert UNKNOWN in await page.text()


async def test_a_declined_question_gets_the_reply(app: App, admin: Client) -> None:
    await _ask(app, "xin visa đi Mỹ")
    form = await _group_form(admin, "xin visa đi Mỹ")
    empty = await admin.post("/console/learn/decline", data={**form, "reply": ""})
    assert empty.status == 400
    reply = "Thị thực do Đại sứ quán cấp, xã không làm."
    assert (await admin.post("/console/learn/decline", data={**form, "reply": reply})).status == 200
    assert reply in await _ask(app, "xin visa di my")


async def test_synonyms_are_added_and_removed_from_the_procedure_page(
    app: App, admin: Client
) -> None:
    path = f"/console/knowledge/{MARRIAGE.code}"
    page = await admin.get(path)
    assert page.status == 200 and MARRIAGE.name in await page.text()
    token = await csrf(admin, path)
    assert MARRIAGE.name not in await _ask(app, "giay hong doi lua")
    blank = await admin.post(f"{path}/synonyms", data={"csrf": token, "phrase": " ?! "})
    assert blank.status == 400 and 'aria-invalid="true"' in await blank.text()
    added = await admin.post(
        f"{path}/synonyms", data={"csrf": token, "phrase": "giấy hồng đôi lứa"}
    )
    assert added.status == 200
    assert MARRIAGE.name in await _ask(app, "giay hong doi lua")
    async with app.database.transaction() as session:
        [lesson] = await store.lessons(session, MARRIAGE.code)
    removed = await admin.post(f"{path}/synonyms/{lesson.id}/delete", data={"csrf": token})
    assert removed.status == 200
    assert MARRIAGE.name not in await _ask(app, "giay hong doi lua")
    async with app.database.transaction() as session:
        assert await store.lessons(session) == []
    found = await admin.get("/console/knowledge", params={"q": "dang ky ket hon"})
    assert MARRIAGE.name in await found.text()
    assert (await admin.get("/console/knowledge/9.999")).status == 404


async def test_analytics_show_charts_and_export_csv(app: App, admin: Client) -> None:
    await _ask(app, "đăng ký kết hôn")
    await _ask(app, UNKNOWN)
    async with app.database.transaction() as session:
        await store.record(
            session,
            RateHelp("k1", "checklist", MARRIAGE.code, True, "Rõ ràng"),
            "web",
            None,
            app.console.clock.now(),
        )
        now = app.console.clock.now()
        asked = await SqlHandoffs(session).request(CITIZEN, None, now - timedelta(minutes=10))
        await session.execute(
            update(HandoffRow).where(HandoffRow.id == asked.id).values(first_answer_at=now)
        )
    page = await admin.get("/console/analytics")
    html = await page.text()
    assert "Thời gian trung vị đến khi cán bộ trả lời: 10.0 phút" in html
    assert page.status == 200 and html.count("<svg") == 6
    assert MARRIAGE.name in html and "Rõ ràng" in html
    # The console's days; the request ten minutes ago may fall on the day before at midnight.
    today = now.astimezone(VIETNAM).date()
    asked_on = (now - timedelta(minutes=10)).astimezone(VIETNAM).date()
    exported = await admin.get(
        "/console/analytics.csv", params={"from": asked_on.isoformat(), "to": today.isoformat()}
    )
    text = await exported.text()
    assert exported.status == 200 and exported.content_type == "text/csv"
    assert f"most_asked,{MARRIAGE.code} {MARRIAGE.name},1" in text
    assert "outcome,none,1" in text and "rating,checklist helpful,1" in text
    assert "handed_to_staff,conversations,1" in text
    assert "median_seconds_to_staff_answer,,600" in text
    bad = await admin.get("/console/analytics", params={"from": "24/11/2026"})
    assert bad.status == 400 and "YYYY-MM-DD" in await bad.text()
    later = (today - timedelta(days=1)).isoformat()
    backwards = await admin.get(
        "/console/analytics", params={"to": later, "from": today.isoformat()}
    )
    assert backwards.status == 400


async def test_commune_staff_see_only_their_communes(
    app: App, admin: Client, staffing: Staffing
) -> None:
    await staffing.add("can.bo@xa.vn", "--commune", "00004")
    await _note(app, "00004", "giấy phép nuôi ong")
    await _note(app, "00007", "giấy phép nuôi cá sấu")
    other_ids = (await _group_form(admin, "giấy phép nuôi cá sấu"))["ids"]
    async with staffing.signed_in("can.bo@xa.vn") as staff:
        page = await (await staff.get("/console/learn")).text()
        assert "nuôi ong" in page and "cá sấu" not in page
        token = await csrf(staff, "/console/learn")
        for action, extra in (
            ("link", {"procedure": MARRIAGE.code}),
            ("decline", {"reply": "Không"}),
        ):
            response = await staff.post(
                f"/console/learn/{action}",
                data={"csrf": token, "ids": other_ids, "phrase": "cá sấu", **extra},
            )
            assert response.status == 403, action
        assert (await staff.get("/console/analytics", params={"commune": "00007"})).status == 403
        assert (
            await staff.get("/console/analytics.csv", params={"commune": "00007"})
        ).status == 403
        assert (await staff.get("/console/analytics", params={"commune": "00004"})).status == 200
        mine = await (await staff.get("/console/analytics.csv")).text()
        assert "outcome,none,1" in mine  # their commune's question only, not the other's
    async with app.database.transaction() as session:
        assert len(await store.review_queue(session)) == 2  # nothing was taught


async def test_times_and_days_are_vietnam_time(app: App, admin: Client) -> None:
    # 20:30 UTC on 1 December is 03:30 on 2 December in Hà Nội, where staff read the page.
    asked = datetime(2026, 12, 1, 20, 30, tzinfo=UTC)
    async with app.database.transaction() as session:
        await store.record(session, NoteQuestion("none", None, UNKNOWN), "telegram", None, asked)
    html = await (await admin.get("/console/learn")).text()
    assert "02/12/2026 03:30" in html and "20:30" not in html

    async def per_day(day: str) -> str:
        exported = await admin.get("/console/analytics.csv", params={"from": day, "to": day})
        return await exported.text()

    assert "questions_per_day,2026-12-02 telegram,1" in await per_day("2026-12-02")
    assert "telegram" not in await per_day("2026-12-01")
