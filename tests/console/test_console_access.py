"""Signing in, sessions, form tokens, lockout and the accounts page, over HTTP."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer
from console_support import PASSWORD, Client, Staffing, csrf, login

from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.staff import SqlStaff
from dialogs.ports import Limit

sys.path.insert(0, str(Path(__file__).parents[1] / "web"))
from webchat_support import NoKnowledge


async def test_the_first_admin_is_made_by_the_cli_and_signs_in(
    staffing: Staffing, app: App
) -> None:
    assert await staffing.add("--admin", "Admin@Xa.vn") == 0
    assert await staffing.add("--admin", "admin@xa.vn") == 1  # one account per e-mail
    assert await staffing.add("--admin", "short@xa.vn", password="short") == 2
    async with app.database.transaction() as session:
        accounts = await SqlStaff(session).all()
    assert [(a.email, a.role.value) for a in accounts] == [("admin@xa.vn", "admin")]
    async with staffing.signed_in("admin@xa.vn") as client:
        page = await client.get("/console/")
        html = await page.text()
        assert "Cuộc trò chuyện đang chờ cán bộ" in html and 'lang="vi"' in html
        cookie = page.cookies.get("motcua_staff") or next(
            c for c in client.session.cookie_jar if c.key == "motcua_staff"
        )
        assert cookie["httponly"] and cookie["samesite"] == "Strict"


async def test_without_a_session_pages_send_to_login_and_posts_are_refused(
    staffing: Staffing,
) -> None:
    async with staffing.signed_in_nobody() as client:
        page = await client.get("/console/accounts", allow_redirects=False)
        assert page.status == 302
        assert page.headers["Location"] == "/console/login?next=/console/accounts"
        refused = await client.post(
            "/console/accounts",
            data={"email": "x@y.vn"},
            headers={"Referer": "https://evil.example/console/accounts"},
            allow_redirects=False,
        )
        assert refused.status == 303
        assert refused.headers["Location"] == "/console/login?next=/console/accounts&ended=unsaved"


async def test_a_form_without_its_token_is_refused_and_changes_nothing(
    admin: Client, app: App
) -> None:
    form = {"email": "can.bo@xa.vn", "name": "Cán bộ", "password": PASSWORD, "role": "staff"}
    form["communes"] = "00004"
    refused = await admin.post("/console/accounts", data={**form, "csrf": "wrong"})
    assert refused.status == 403
    async with app.database.transaction() as session:
        assert len(await SqlStaff(session).all()) == 1
    added = await admin.post("/console/accounts", data={**form, "csrf": await csrf(admin)})
    assert added.status == 200 and "can.bo@xa.vn" in await added.text()


async def test_account_form_errors_are_shown_beside_their_fields(admin: Client, app: App) -> None:
    token = await csrf(admin)
    form = {"email": "not-an-email", "name": "", "password": "short", "role": "staff"}
    page = await admin.post("/console/accounts", data={**form, "communes": "12", "csrf": token})
    html = await page.text()
    assert page.status == 400
    for message in (
        "Hãy nhập địa chỉ thư điện tử",
        "Hãy nhập họ tên",
        "Mật khẩu phải có ít nhất 10 ký tự",
        "Mã xã gồm năm chữ số",
    ):
        assert message in html
    assert 'aria-invalid="true"' in html and 'value="not-an-email"' in html
    async with app.database.transaction() as session:
        assert len(await SqlStaff(session).all()) == 1


async def test_a_deleted_accounts_session_stops_working_at_once(
    admin: Client, staffing: Staffing, app: App
) -> None:
    await staffing.add("--commune", "00004", "can.bo@xa.vn")
    async with staffing.signed_in("can.bo@xa.vn") as staff:
        assert (await staff.get("/console/")).status == 200
        async with app.database.transaction() as session:
            [account] = [a for a in await SqlStaff(session).all() if a.email == "can.bo@xa.vn"]
        deleted = await admin.post(
            f"/console/accounts/{account.id}/delete", data={"csrf": await csrf(admin)}
        )
        assert deleted.status == 200
        after = await staff.get("/console/", allow_redirects=False)
        assert after.status == 302
        assert after.headers["Location"] == "/console/login?next=/console/&ended=1"


async def test_staff_may_not_open_accounts(staffing: Staffing) -> None:
    await staffing.add("--commune", "00004", "can.bo@xa.vn")
    async with staffing.signed_in("can.bo@xa.vn") as staff:
        assert (await staff.get("/console/accounts")).status == 403
        token = await csrf(staff)
        form = {"email": "x@xa.vn", "name": "X", "password": PASSWORD, "role": "admin"}
        assert (await staff.post("/console/accounts", data={**form, "csrf": token})).status == 403


async def test_five_wrong_passwords_lock_the_account(staffing: Staffing) -> None:
    await staffing.add("--admin", "admin@xa.vn")
    async with staffing.signed_in_nobody() as client:
        for _ in range(5):
            wrong = await login(client, "admin@xa.vn", "not the password")
            assert wrong.status == 401 and "Sai thư điện tử hoặc mật khẩu" in await wrong.text()
        locked = await login(client, "admin@xa.vn", PASSWORD)
        assert locked.status == 403 and "bị khoá" in await locked.text()
        unknown = await login(client, "nobody@xa.vn", PASSWORD)
        assert unknown.status == 401


async def test_signing_out_ends_the_session_on_the_server(admin: Client) -> None:
    page = await admin.get("/console/")
    token_cookie = next(c for c in admin.session.cookie_jar if c.key == "motcua_staff")
    out = await admin.post("/console/logout", data={"csrf": await csrf(admin)})
    assert out.url.path == "/console/login"
    admin.session.cookie_jar.update_cookies({"motcua_staff": token_cookie.value})
    again = await admin.get("/console/", allow_redirects=False)
    assert page.status == 200 and again.status == 302


async def test_the_console_without_its_slash_is_its_front_page(admin: Client) -> None:
    """The README and staff type ``/console``: signed in, it was a "page not found"."""
    page = await admin.get("/console")
    assert page.status == 200 and page.url.path == "/console/"
    assert "Cuộc trò chuyện đang chờ cán bộ" in await page.text()


async def test_the_console_speaks_english_when_asked(admin: Client) -> None:
    page = await admin.get("/console/language/en?next=/console/audit")
    html = await page.text()
    assert page.url.path == "/console/audit" and "Audit log" in html and 'lang="en"' in html
    elsewhere = await admin.get("/console/language/en?next=https://evil.example/")
    assert elsewhere.url.path == "/console/"


async def test_sign_ins_from_one_address_are_limited(settings: Settings) -> None:
    limited = replace(settings, rate_limits={**settings.rate_limits, Limit.STAFF_LOGIN: "3/hour"})
    async with (
        build_app(limited, knowledge=NoKnowledge(), platforms=False) as app,
        TestClient(TestServer(web_application(app))) as client,
    ):
        for _ in range(3):
            assert (await login(client, "nobody@xa.vn", PASSWORD)).status == 401
        refused = await login(client, "nobody@xa.vn", PASSWORD)
        assert refused.status == 429 and "Thử quá nhiều lần" in await refused.text()
