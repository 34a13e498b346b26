"""Rate limits on the web chat: per address and per identity, answered with 429 and Retry-After;
link codes typed from one address are limited too, however many identities it rotates through.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestServer
from support.schema import migrated
from webchat_support import NoKnowledge, ScriptedDialog

from bot.app import build_app
from bot.config import Settings
from bot.server import web_application
from knowledge.base import LocalKnowledgeBase


@asynccontextmanager
async def served(
    tmp_path: Path, env: Mapping[str, str], **overrides: Any
) -> AsyncIterator[TestServer]:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), **env})
    await migrated(settings.database_url)
    async with build_app(settings, **overrides) as app, TestServer(web_application(app)) as server:
        yield server


def browser() -> aiohttp.ClientSession:
    """A browser of its own: a new cookie jar, so a new web-chat identity."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def post(
    session: aiohttp.ClientSession, server: TestServer, body: dict[str, str], **headers: str
) -> tuple[int, dict[str, Any], str | None]:
    async with session.post(server.make_url("/api/chat"), json=body, headers=headers) as r:
        return r.status, await r.json(), r.headers.get("Retry-After")


async def test_one_identity_over_its_limit_is_told_when_to_come_back(tmp_path: Path) -> None:
    env = {"MOTCUA_LIMIT_WEB_IDENTITY": "3/minute"}
    async with (
        served(tmp_path, env, knowledge=NoKnowledge(), dialog=ScriptedDialog()) as server,
        browser() as citizen,
        browser() as neighbour,
    ):
        for _ in range(3):
            assert (await post(citizen, server, {"text": "xin chao"}))[0] == 200
        status, body, retry_after = await post(
            citizen, server, {"text": "xin chao"}, **{"Accept-Language": "en"}
        )
        assert status == 429
        assert retry_after is not None and 0 < int(retry_after) <= 60
        assert body == {
            "code": "too_many_requests",
            "error": f"Too many messages at once. Please wait {retry_after} seconds and try again.",
        }
        async with citizen.get(server.make_url("/api/history")) as polled:
            assert polled.status == 200  # what was said can still be read
        # Someone else on the same address is not held back by this one's limit.
        assert (await post(neighbour, server, {"text": "xin chao"}))[0] == 200


async def test_the_pages_polls_use_none_of_the_messages_allowance(tmp_path: Path) -> None:
    """A page polls every 5 s and once after each message: a citizen tapping quickly through a
    filing must not be refused for it; the polls have an allowance of their own."""
    # The same rate for both: each limit keeps a count of its own all the same.
    env = {"MOTCUA_LIMIT_WEB_IDENTITY": "3/minute", "MOTCUA_LIMIT_WEB_HISTORY": "3/minute"}
    async with (
        served(tmp_path, env, knowledge=NoKnowledge(), dialog=ScriptedDialog()) as server,
        browser() as citizen,
    ):
        polls = []
        for _ in range(3):
            assert (await post(citizen, server, {"text": "xin chao"}))[0] == 200
            async with citizen.get(server.make_url("/api/history")) as polled:
                polls.append(polled.status)
        for _ in range(3):
            async with citizen.get(server.make_url("/api/history")) as polled:
                polls.append(polled.status)
                retry_after = polled.headers.get("Retry-After")
    assert polls == [200, 200, 200, 429, 429, 429]
    assert retry_after is not None and 0 < int(retry_after) <= 60


async def test_new_identities_do_not_escape_the_address_limit(tmp_path: Path) -> None:
    env = {"MOTCUA_LIMIT_WEB_ADDRESS": "4/minute"}
    async with served(tmp_path, env, knowledge=NoKnowledge(), dialog=ScriptedDialog()) as server:
        statuses = []
        for n in range(6):
            async with browser() as fresh:
                # A made-up X-Forwarded-For is ignored: the peer is no trusted proxy.
                forged = {"X-Forwarded-For": f"203.0.113.{n}"}
                statuses.append((await post(fresh, server, {"text": "hi"}, **forged))[0])
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_a_trusted_proxy_names_the_client(tmp_path: Path) -> None:
    env = {"MOTCUA_LIMIT_WEB_ADDRESS": "2/minute", "MOTCUA_TRUSTED_PROXIES": "127.0.0.1, ::1"}
    async with (
        served(tmp_path, env, knowledge=NoKnowledge(), dialog=ScriptedDialog()) as server,
        browser() as citizen,
    ):

        async def status(chain: str) -> int:
            return (await post(citizen, server, {"text": "hi"}, **{"X-Forwarded-For": chain}))[0]

        assert [await status("198.51.100.7") for _ in range(3)] == [200, 200, 429]
        # Another client behind the proxy has its own count; what a client prepends is ignored.
        assert await status("198.51.100.7, 198.51.100.8") == 200
        assert await status("198.51.100.9, 198.51.100.8") == 200
        assert await status("198.51.100.8") == 429


async def test_link_codes_from_one_address_are_limited_across_identities(
    tmp_path: Path, knowledge: LocalKnowledgeBase
) -> None:
    env = {"MOTCUA_LIMIT_LINK_ADDRESS": "2/hour"}
    answers = []
    async with served(tmp_path, env, knowledge=knowledge) as server:
        for _ in range(3):
            async with browser() as guesser:
                assert (await post(guesser, server, {"button": "lk:enter"}))[0] == 200
                _, body, _ = await post(guesser, server, {"text": "123 456"})
                answers.append(body["replies"][0]["text"])
    assert answers[0].startswith("Mã này không dùng được")
    assert answers[1].startswith("Mã này không dùng được")
    assert answers[2].startswith("Đã gõ sai mã quá nhiều lần")


async def test_codes_typed_alone_from_one_address_are_limited_across_identities(
    tmp_path: Path, knowledge: LocalKnowledgeBase
) -> None:
    """Six digits typed without "Nhập mã" first are tried as a link code, then as a consent
    code: the address's limit counts them once, as it counts a code typed after "Nhập mã"."""
    env = {"MOTCUA_LIMIT_LINK_ADDRESS": "2/hour"}
    answers = []
    async with served(tmp_path, env, knowledge=knowledge) as server:
        for _ in range(3):
            async with browser() as guesser:
                _, body, _ = await post(guesser, server, {"text": "123 456"})
                answers.append(body["replies"][0]["text"])
    assert answers[0].startswith("Tôi không tìm thấy gì với số này")
    assert answers[1].startswith("Tôi không tìm thấy gì với số này")
    assert answers[2].startswith("Đã gõ sai mã quá nhiều lần")


async def test_a_botnet_gets_five_guesses_at_a_live_code(
    tmp_path: Path, knowledge: LocalKnowledgeBase
) -> None:
    """Each guess from a new identity and a new address (as a trusted proxy reports them):
    no limit per guesser binds, and still the sixth guess, the right code, is refused."""
    env = {"MOTCUA_TRUSTED_PROXIES": "127.0.0.1"}
    async with served(tmp_path, env, knowledge=knowledge) as server:
        async with browser() as citizen:
            _, body, _ = await post(citizen, server, {"button": "lk:get"})
        found = re.search(r"(\d{3}) (\d{3})", body["replies"][0]["text"])
        assert found is not None
        code = int(found.group(1) + found.group(2))
        guesses = [f"{(code + n) % 1_000_000:06d}" for n in (1, 2, 3, 4, 5, 0)]
        answers = []
        for n, guess in enumerate(guesses):
            async with browser() as guesser:
                address = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
                await post(guesser, server, {"button": "lk:enter"}, **address)
                _, body, _ = await post(guesser, server, {"text": guess}, **address)
                answers.append(body["replies"][0]["text"])
    assert all(a.startswith("Mã này không dùng được") for a in answers), answers
