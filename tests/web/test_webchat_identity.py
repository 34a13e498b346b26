"""Web-chat identities are issued by the server in a signed HttpOnly cookie, and a conversation
is read only with the cookie it was written with."""

from __future__ import annotations

from typing import Any

from aiohttp import ClientSession, CookieJar
from aiohttp.test_utils import TestClient, TestServer
from webchat_support import Client, NoKnowledge, ScriptedDialog, identity

from bot.app import build_app
from bot.config import Settings
from bot.server import web_application
from integrations.webchat.identity import COOKIE


async def test_the_page_hands_out_a_signed_httponly_cookie(client: Client) -> None:
    page = await client.get("/")

    cookie = page.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/"
    user = identity(client)
    assert len(user) == 32
    assert user not in await page.text()  # never in the page, a URL or a body
    # Loading the page again keeps the identity.
    again = await client.get("/")
    assert COOKIE not in again.cookies
    assert identity(client) == user


async def test_a_conversation_is_read_only_with_its_own_cookie(
    client: Client, scripted: ScriptedDialog
) -> None:
    await client.get("/")
    owner = identity(client)
    said = await client.post("/api/chat", json={"text": "so cccd 001099012345"})
    assert said.status == 200
    history = await (await client.get("/api/history")).json()
    assert len(history["entries"]) == 3
    assert scripted.received[0].ref.user_id == owner

    jar = CookieJar(unsafe=True)
    async with ClientSession(cookie_jar=jar) as stranger:

        async def read(**kwargs: Any) -> tuple[int, Any]:
            async with stranger.get(client.make_url("/api/history"), **kwargs) as response:
                return response.status, await response.json()

        # Naming the owner in the query string is refused outright.
        status, body = await read(params={"user": owner})
        assert (status, body["code"]) == (403, "user_not_accepted")
        # A cookie carrying the owner's id with a made-up signature is not believed.
        jar.update_cookies({COOKIE: f"{owner}.not-the-servers-signature"}, client.make_url("/"))
        status, body = await read()
        assert (status, body["entries"]) == (200, [])
        # ... and is replaced by a new identity of the stranger's own.
        cookies = jar.filter_cookies(client.make_url("/"))
        assert cookies[COOKIE].value.partition(".")[0] not in {owner, ""}
        status, body = await read()
        assert (status, body["entries"]) == (200, [])


async def test_a_user_chosen_by_the_page_is_refused_and_changes_nothing(
    client: Client, scripted: ScriptedDialog
) -> None:
    response = await client.post("/api/chat", json={"user": "x" * 32, "text": "hi"})

    assert response.status == 403
    assert (await response.json())["code"] == "user_not_accepted"
    assert scripted.received == []


async def test_the_first_message_without_a_cookie_gets_one(
    client: Client, scripted: ScriptedDialog
) -> None:
    response = await client.post("/api/chat", json={"text": "xin chao"})

    assert response.status == 200
    assert COOKIE in response.cookies
    assert scripted.received[0].ref.user_id == identity(client)
    history = await (await client.get("/api/history")).json()
    assert history["entries"][0]["text"] == "xin chao"


async def test_another_worker_accepts_the_cookie(
    settings: Settings, scripted: ScriptedDialog, client: Client
) -> None:
    """The signing key is kept in the database, so every worker (and a restart) shares it."""
    await client.post("/api/chat", json={"text": "xin chao"})
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE]
    async with (
        build_app(settings, knowledge=NoKnowledge(), dialog=scripted) as other,
        TestClient(TestServer(web_application(other))) as elsewhere,
    ):
        elsewhere.session.cookie_jar.update_cookies({COOKIE: cookie.value}, elsewhere.make_url("/"))
        response = await elsewhere.get("/api/history")
        entries = (await response.json())["entries"]
    assert COOKIE not in response.cookies
    assert entries[0]["text"] == "xin chao"
