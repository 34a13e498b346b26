"""Replies Messenger and Zalo refuse for longer than their adapters retry are sent again later,
once, without running the citizen's turn a second time (Telegram's case is in
``test_backends_away.py``); a reply of several messages refused part way is sent on from the
first message refused, on every platform, so the citizen reads none of them twice.

The whole app is served as ``motcua serve`` builds it, on the platforms' fakes, which answer
the Send API with the platforms' own rate-limit and temporary-failure errors. The clock is the
test's: the kept reply is sent again only once the pause the inbox chose has passed on it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from fakes.messenger import FakeGraphApi
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from sqlalchemy import text
from storage.databases import database_url  # noqa: F401
from support.apps import inbox_done, said_in, serving, telegram_env, zalo_env
from support.clock import ManualClock
from support.procedures import BIRTH
from support.waiting import eventually
from test_metrics import scrape, value

from bot.app import App, SystemClock
from integrations.messenger import WEBHOOK_PATH as MESSENGER_WEBHOOK
from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from knowledge.base import LocalKnowledgeBase

pytestmark = pytest.mark.slow

KNOWLEDGE = LocalKnowledgeBase([BIRTH])
PAGE_TOKEN = "refused-page-token"
APP_SECRET = "refused-app-secret"
PSID = "6543210987654399"
ZALO_USER = "2468458835296197999"
ADAPTER_ATTEMPTS = 4
"""Calls each adapter makes for one send before handing the refusal to the inbox."""
ADAPTER_RETRY_SECONDS = "0.05"
"""The adapters' first wait between those calls: all three retries within a few tenths of a
second instead of Zalo's 7 s and Messenger's 3.5 s; what reaches the inbox is the same."""

GRAPH_RATE_LIMIT = 613
GRAPH_TEMPORARY = 2
ZALO_TEMPORARY = -200
LONG_PASTE = "đăng ký khai sinh cho con tôi " * 12
"""Longer than the part of a message that is searched: the answer comes after a notice that
says so, two replies, each a message of its own at least, on every platform."""
NOTICE = "Tin nhắn của bạn dài"


async def handed_back(app: App, channel: str) -> bool:
    """Whether ``channel``'s message waits in the inbox, its turn run and its replies kept, to
    be sent again later (answered, claimed by no one)."""
    async with app.database.transaction() as session:
        found = await session.scalar(
            text(
                "SELECT count(*) FROM inbox "
                "WHERE status = 'answered' AND owner IS NULL AND channel = :channel"
            ),
            {"channel": channel},
        )
        return bool(found)


async def both_handed_back(app: App) -> bool:
    """Whether Messenger's and Zalo's messages both wait to be sent again (``handed_back``)."""
    return await handed_back(app, "messenger") and await handed_back(app, "zalo")


@asynccontextmanager
async def messenger_and_zalo(
    data: Path, clock: ManualClock, database: str | None = None
) -> AsyncIterator[tuple[App, FakeGraphApi, FakeZalo]]:
    """The app serving a Messenger page and a Zalo OA on their fakes, whose adapters retry
    quickly, on ``database`` (a SQLite file in ``data`` by default), Zalo's user known."""
    graph = FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=clock)
    async with graph, FakeZalo(clock=clock) as zalo:
        env = {
            "MOTCUA_DATA_DIR": str(data),
            "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
            "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
            "MOTCUA_MESSENGER_VERIFY_TOKEN": "refused-verify",
            "MOTCUA_MESSENGER_API_URL": graph.api_url,
            "MOTCUA_MESSENGER_RETRY_SECONDS": ADAPTER_RETRY_SECONDS,
            "MOTCUA_ZALO_RETRY_SECONDS": ADAPTER_RETRY_SECONDS,
            **zalo_env(zalo),
        }
        if database is not None:
            env["MOTCUA_DATABASE_URL"] = database
        async with serving(env, knowledge=KNOWLEDGE, clock=clock) as app:
            url = app.settings.public_url or ""
            graph.webhook_url = f"{url}{MESSENGER_WEBHOOK}"
            zalo.webhook_url = f"{url}{ZALO_WEBHOOK}"
            zalo.user(ZALO_USER)
            yield app, graph, zalo


async def test_messenger_and_zalo_replies_refused_for_a_while_are_sent_once_later(
    tmp_path: Path,
) -> None:
    clock = ManualClock()
    async with messenger_and_zalo(tmp_path, clock) as (app, graph, zalo):
        # More refusals than each adapter absorbs: its last one reaches the inbox.
        graph.fail_next(GRAPH_RATE_LIMIT, times=ADAPTER_ATTEMPTS)
        zalo.inject(*[ZALO_TEMPORARY] * ADAPTER_ATTEMPTS)
        await asyncio.gather(
            graph.deliver([graph.text(PSID, "khai sinh")]),
            zalo.emit(zalo.text_event(ZALO_USER, "khai sinh")),
        )

        await eventually(lambda: both_handed_back(app), within=30)
        assert graph.messages_to(PSID) == []
        assert zalo.sent_to(ZALO_USER) == []

        # Nothing is sent before the pause has passed on the app's clock ...
        await asyncio.sleep(1.5)
        assert graph.messages_to(PSID) == [] and zalo.sent_to(ZALO_USER) == []
        # ... and once it has, each kept reply is sent, once.
        clock.advance(seconds=120)

        async def both_sent() -> bool:
            return bool(graph.messages_to(PSID)) and bool(zalo.sent_to(ZALO_USER))

        await eventually(both_sent, within=20)
        sent = (len(graph.messages_to(PSID)), len(zalo.sent_to(ZALO_USER)))
        clock.advance(seconds=120)
        await asyncio.sleep(1.5)  # time for a wrong second send to show
        assert (len(graph.messages_to(PSID)), len(zalo.sent_to(ZALO_USER))) == sent
        assert await said_in(app, "messenger") == ["khai sinh"]  # one turn each
        assert await said_in(app, "zalo") == ["khai sinh"]

        async with aiohttp.ClientSession() as http:
            samples = await scrape(http, app.settings.public_url or "")
        errors = "motcua_send_errors_total"
        assert value(samples, errors, channel="messenger", kind="RateLimited") == 1
        assert value(samples, errors, channel="zalo", kind="TemporaryFailure") == 1


async def test_a_reply_telegram_refuses_at_its_second_message_is_sent_on_from_there_once(
    tmp_path: Path,
    database_url: str,  # noqa: F811
) -> None:
    async with FakeTelegram() as telegram:
        env = {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_DATABASE_URL": database_url,
            **telegram_env(telegram),
        }
        async with serving(env, knowledge=KNOWLEDGE, clock=SystemClock()) as app:
            citizen = telegram.user()
            # The notice goes through, the answer meets a 502 (which the adapter leaves to the
            # inbox): a second later the inbox sends the answer alone.
            telegram.fail("sendMessage", 502, "Bad Gateway", after=1)
            citizen.send(LONG_PASTE)
            await telegram.wait_for(lambda: len(citizen.messages) == 2, within=15)
            await asyncio.sleep(1.5)  # time for a wrong second send to show

            texts = [message.text for message in citizen.messages]
            assert texts[0].startswith(NOTICE)
            assert texts[1].startswith("Thủ tục đăng ký khai sinh")
            assert len(texts) == 2
            assert len(telegram.calls_of("sendMessage")) == 3  # notice, refused answer, answer
            assert await said_in(app, "telegram") == [LONG_PASTE]  # one turn


async def test_messenger_and_zalo_replies_refused_at_their_second_message_are_sent_on_once(
    tmp_path: Path,
    database_url: str,  # noqa: F811
) -> None:
    clock = ManualClock()
    async with messenger_and_zalo(tmp_path, clock, database_url) as (app, graph, zalo):
        # The first message of each reply goes through; the second is refused more times
        # than the adapter absorbs, so the inbox keeps the rest for later.
        graph.fail_next(GRAPH_TEMPORARY, times=ADAPTER_ATTEMPTS, after=1)
        zalo.inject(*[ZALO_TEMPORARY] * ADAPTER_ATTEMPTS, after=1)
        await asyncio.gather(
            graph.deliver([graph.text(PSID, LONG_PASTE)]),
            zalo.emit(zalo.text_event(ZALO_USER, LONG_PASTE)),
        )

        await eventually(lambda: both_handed_back(app), within=30)
        assert len(graph.messages_to(PSID)) == len(zalo.sent_to(ZALO_USER)) == 1
        clock.advance(seconds=120)

        async def both_answered() -> bool:
            return await inbox_done(app) == 2

        await eventually(both_answered, within=20)
        clock.advance(seconds=120)
        await asyncio.sleep(1.5)  # time for a wrong second send to show

        messenger = [str(message.message) for message in graph.messages_to(PSID)]
        zalo_sent = [f"{message.text} {message.buttons}" for message in zalo.sent_to(ZALO_USER)]
        for sent in (messenger, zalo_sent):
            assert NOTICE in sent[0]
            assert not any(NOTICE in later for later in sent[1:])
            assert any("Thủ tục đăng ký khai sinh" in later for later in sent[1:])
            assert len(set(sent)) == len(sent)  # no message twice
        assert await said_in(app, "messenger") == [LONG_PASTE]
        assert await said_in(app, "zalo") == [LONG_PASTE]
