"""The digital-technology group's page over HTTP: only coordinators and admins see it and
decide; commune staff and citizens get 403 and change nothing; every decision needs the form
token, applies once, and is in the audit log; coordinators are made by the CLI or the accounts
page and see nothing of the communes' own work."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer
from console_support import PASSWORD, Client, Staffing, csrf, login

from bot.app import App, build_app
from bot.cli import main
from bot.config import Settings
from bot.storage.staff import SqlStaff
from bot.storage.volunteers import SqlVolunteers, Volunteer
from dialogs.step import Membership

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from webchat_support import NoKnowledge

COORDINATOR = "dieu.phoi@xa.vn"


@pytest_asyncio.fixture(loop_scope="session")
async def app(settings: Settings) -> AsyncIterator[App]:
    """The conftest's app with its inbox and background loops on: the web chat's turns are
    answered, and decisions reach the citizen through the outbox."""
    async with build_app(settings, knowledge=NoKnowledge()) as built:
        built.start_background()
        yield built


async def ask_to_join(server: TestServer, app: App) -> Volunteer:
    """A citizen asks to join from the web chat on the same server; their request."""
    # A session of its own: closing a TestClient would close the server.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as citizen:
        for body in (
            {"button": "m:join"},
            {"text": "Trần Văn Bình"},
            {"text": "phuong Ba Dinh"},
            {"button": "nw:ok:4"},
            {"text": "0912345678"},
            {"button": "vo:send"},
        ):
            answered = await citizen.post(
                server.make_url("/api/chat"), json={"locale": "vi", **body}
            )
            assert answered.status == 200, await answered.text()
    return await standing(app)


async def standing(app: App) -> Volunteer:
    """The one request kept."""
    async with app.database.transaction() as session:
        [found] = await SqlVolunteers(session).listed(10)
    return found


@pytest_asyncio.fixture(loop_scope="session")
async def coordinator(staffing: Staffing) -> AsyncIterator[Client]:
    """A client signed in as a coordinator made with ``motcua staff add --coordinator``."""
    assert await staffing.add("--coordinator", COORDINATOR) == 0
    async with TestClient(staffing.server) as client:
        landed = await login(client, COORDINATOR, PASSWORD)
        assert landed.status == 200 and landed.url.path == "/console/volunteers"
        yield client


async def test_a_coordinator_approves_then_revokes_and_each_is_audited(
    coordinator: Client, server: TestServer, app: App
) -> None:
    asked = await ask_to_join(server, app)
    assert asked.status is Membership.PENDING and asked.phone == "+84912345678"
    page = await (await coordinator.get("/console/volunteers")).text()
    assert "Trần Văn Bình" in page and "Phường Ba Đình, Hà Nội" in page and "Duyệt" in page
    token = await csrf(coordinator, "/console/volunteers")

    approved = await coordinator.post(
        f"/console/volunteers/{asked.id}/approve", data={"csrf": token}, allow_redirects=False
    )
    assert approved.status == 303
    assert (await standing(app)).status is Membership.APPROVED
    again = await coordinator.post(f"/console/volunteers/{asked.id}/approve", data={"csrf": token})
    assert again.status == 409 and "đã được xử lý" in await again.text()
    revoked = await coordinator.post(
        f"/console/volunteers/{asked.id}/revoke", data={"csrf": token}, allow_redirects=False
    )
    assert revoked.status == 303
    after = await standing(app)
    assert after.status is Membership.REVOKED and after.decided_by == COORDINATOR
    async with app.database.transaction() as session:
        audit = await SqlStaff(session).audit_log(None, 3)
    assert [(e.action, e.target, e.commune) for e in audit[:2]] == [
        ("volunteer_revoke", f"volunteer:{asked.id}", "00004"),
        ("volunteer_approve", f"volunteer:{asked.id}", "00004"),
    ]


async def test_commune_staff_and_citizens_get_403_and_change_nothing(
    staffing: Staffing, server: TestServer, app: App
) -> None:
    asked = await ask_to_join(server, app)
    await staffing.add("--commune", "00004", "can.bo@xa.vn")
    async with (
        staffing.signed_in("can.bo@xa.vn") as staff,
        staffing.signed_in_nobody() as citizen,
    ):
        assert (await staff.get("/console/volunteers")).status == 403
        token = await csrf(staff)
        for decision in ("approve", "reject", "revoke"):
            refused = await staff.post(
                f"/console/volunteers/{asked.id}/{decision}", data={"csrf": token}
            )
            assert refused.status == 403
        assert "tổ công nghệ số" not in (await (await staff.get("/console/")).text()).lower()
        page = await citizen.get("/console/volunteers", allow_redirects=False)
        assert page.status == 302
        assert page.headers["Location"] == "/console/login?next=/console/volunteers"
        refused = await citizen.post(
            f"/console/volunteers/{asked.id}/approve", data={}, allow_redirects=False
        )
        assert refused.status == 303 and refused.headers["Location"].startswith("/console/login")
    assert (await standing(app)).status is Membership.PENDING
    async with app.database.transaction() as session:
        actions = {e.action for e in await SqlStaff(session).audit_log(None, 50)}
    assert not {a for a in actions if a.startswith("volunteer_")}


async def test_a_decision_needs_the_form_token_and_a_real_request(
    coordinator: Client, server: TestServer, app: App
) -> None:
    asked = await ask_to_join(server, app)
    forged = await coordinator.post(f"/console/volunteers/{asked.id}/approve", data={})
    assert forged.status == 403
    assert (await standing(app)).status is Membership.PENDING
    token = await csrf(coordinator, "/console/volunteers")
    for path in (f"{asked.id + 1}/approve", f"{asked.id}/promote", "x/approve"):
        missing = await coordinator.post(f"/console/volunteers/{path}", data={"csrf": token})
        assert missing.status == 404, path
    # Revoking is for members: a request still waiting is only approved or rejected.
    early = await coordinator.post(f"/console/volunteers/{asked.id}/revoke", data={"csrf": token})
    assert early.status == 409
    rejected = await coordinator.post(
        f"/console/volunteers/{asked.id}/reject", data={"csrf": token}, allow_redirects=False
    )
    assert rejected.status == 303
    assert (await standing(app)).status is Membership.REJECTED


async def test_a_coordinator_sees_only_the_group_and_an_admin_decides_too(
    coordinator: Client, admin: Client, server: TestServer, app: App
) -> None:
    for path in ("/console/dossiers", "/console/communes", "/console/accounts", "/console/audit"):
        assert (await coordinator.get(path)).status == 403, path
    home = await coordinator.get("/console/")
    assert home.url.path == "/console/volunteers"
    asked = await ask_to_join(server, app)
    token = await csrf(admin, "/console/volunteers")
    approved = await admin.post(
        f"/console/volunteers/{asked.id}/approve", data={"csrf": token}, allow_redirects=False
    )
    assert approved.status == 303
    assert (await standing(app)).decided_by == "admin@xa.vn"


async def test_coordinators_are_added_by_the_cli_and_the_accounts_page(
    coordinator: Client, admin: Client, app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await asyncio.to_thread(main, ["staff", "list"]) == 0
    assert f"coordinator {COORDINATOR}" in capsys.readouterr().out
    form = {
        "email": "nguoi.dieu.phoi@xa.vn",
        "name": "Lê Văn Phối",
        "password": PASSWORD,
        "role": "coordinator",
        "communes": "",
        "csrf": await csrf(admin, "/console/accounts"),
    }
    added = await admin.post("/console/accounts", data=form)
    assert added.status == 200 and "Người điều phối tình nguyện viên" in await added.text()
    async with app.database.transaction() as session:
        roles = {a.email: a.role.value for a in await SqlStaff(session).all()}
    assert roles["nguoi.dieu.phoi@xa.vn"] == "coordinator"
