"""The composition root and the one server: web chat, a platform's webhook and /healthz on the
same port, built from settings alone; a database that stops answering fails the health check."""

from __future__ import annotations

import asyncio
import gc
import os
import socket
import sys
from collections.abc import Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from fakes.telegram import TOKEN, FakeTelegram
from sqlalchemy import event
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.pool import QueuePool
from support.clock import ManualClock
from support.procedures import BIRTH

from bot.app import build_app
from bot.config import Settings
from bot.server import listening, run_until, web_application
from bot.storage.database import Database
from bot.storage.message_log import SqlMessageLog
from bot.storage.platform_state import SqlUnreachableUsers
from bot.storage.schema_head import prepare_database
from dialogs.errors import RecipientUnavailable
from dialogs.messages import ConversationRef, IncomingMessage, Reply
from integrations.webchat.identity import COOKIE
from knowledge.base import LocalKnowledgeBase

KNOWLEDGE = LocalKnowledgeBase([BIRTH])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_one_server_hosts_web_chat_telegram_webhook_and_health(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with FakeTelegram() as telegram:
        settings = Settings.from_env(
            {
                "MOTCUA_DATA_DIR": str(tmp_path),
                "MOTCUA_PUBLIC_URL": base,
                "MOTCUA_TELEGRAM_TOKEN": TOKEN,
                "MOTCUA_TELEGRAM_API_URL": telegram.url,
            }
        )
        await prepare_database(settings.database_url)  # a fresh SQLite file is migrated
        async with (
            build_app(settings, knowledge=KNOWLEDGE) as app,
            listening(app, "127.0.0.1", port),
            aiohttp.ClientSession(base) as http,
        ):
            assert set(app.channels) == {"web", "terminal", "telegram"}
            assert telegram.webhook is not None
            assert telegram.webhook.url == base + "/webhooks/telegram"

            citizen = telegram.user()
            citizen.send("dang ky khai sinh")
            await telegram.wait_for(lambda: bool(citizen.messages))
            assert "Thủ tục đăng ký khai sinh" in citizen.messages[0].text

            async with http.post("/api/chat", json={"text": "dang ky khai sinh"}) as response:
                assert response.status == 200
                assert "Thủ tục đăng ký khai sinh" in (await response.json())["replies"][0]["text"]
            async with http.get("/healthz") as response:
                assert (response.status, await response.json()) == (
                    200,
                    {"status": "ok", "database": "ok"},
                )


async def test_a_telegram_citizen_marked_unreachable_who_writes_is_reachable_again(
    tmp_path: Path,
) -> None:
    """The mark is forgotten in the transaction that keeps the message, not in one before it."""
    port = free_port()
    async with FakeTelegram() as telegram:
        settings = Settings.from_env(
            {
                "MOTCUA_DATA_DIR": str(tmp_path),
                "MOTCUA_PUBLIC_URL": f"http://127.0.0.1:{port}",
                "MOTCUA_TELEGRAM_TOKEN": TOKEN,
                "MOTCUA_TELEGRAM_API_URL": telegram.url,
            }
        )
        await prepare_database(settings.database_url)
        async with (
            build_app(settings, knowledge=KNOWLEDGE) as app,
            listening(app, "127.0.0.1", port),
        ):
            citizen = telegram.user()
            ref = ConversationRef("telegram", str(citizen.id))
            await SqlUnreachableUsers(app.database, "telegram").add(str(citizen.id))
            with pytest.raises(RecipientUnavailable):  # a notice is not even tried
                await app.channels["telegram"].send(ref, [Reply("Nhắc lịch hẹn")])
            with written(app.database) as steps:
                update = citizen.send("dang ky khai sinh")
                assert await telegram.answers_to(update) == {200}
            await telegram.wait_for(lambda: bool(citizen.messages))
            await app.channels["telegram"].send(ref, [Reply("Nhắc lịch hẹn")])
            assert citizen.messages[-1].text == "Nhắc lịch hẹn"
    forgotten = next(n for n, s in enumerate(steps) if s.startswith("DELETE FROM unreachable"))
    kept = next(n for n, s in enumerate(steps) if s.startswith("INSERT INTO inbox"))
    between = steps[min(forgotten, kept) : max(forgotten, kept)]
    assert "COMMIT" not in between, steps


@pytest.mark.parametrize(("overflow", "kept"), [(6, 7), (2, 5)])
async def test_a_worker_keeps_connections_for_its_inbox_beside_its_turns_within_its_sum(
    tmp_path: Path, postgres_url: str, _postgres_database: str, overflow: int, kept: int
) -> None:
    """Three turns at once, and up to four of the overflow for the inbox's own writes, kept
    open once opened; the rest of the overflow still closed after use."""
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_DATABASE_URL": _postgres_database,
            "MOTCUA_DB_POOL_SIZE": "3",
            "MOTCUA_DB_MAX_OVERFLOW": str(overflow),
            "MOTCUA_DB_POOL_TIMEOUT": "0.5",
        }
    )
    async with build_app(settings, knowledge=KNOWLEDGE, platforms=False) as app:
        engine = app.database.engine
        async with AsyncExitStack() as held:  # every connection the worker may open at once
            for _ in range(3 + overflow):
                await held.enter_async_context(engine.connect())
            with pytest.raises(PoolTimeout):
                await held.enter_async_context(engine.connect())
        pool = engine.sync_engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.checkedin() + pool.checkedout() == kept  # open (a loop's may be in use)


@contextmanager
def written(database: Database) -> Iterator[list[str]]:
    """The statements the database runs inside the block, and each COMMIT, in order."""
    steps: list[str] = []

    def statement(_conn: object, _cursor: object, sql: str, *_rest: object) -> None:
        steps.append(" ".join(sql.split()))

    def commit(_conn: object) -> None:
        steps.append("COMMIT")

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield steps
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


async def test_database_down_fails_health_and_answers_politely(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    unreachable = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/motcua"
    settings = Settings.from_env(
        {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_DATABASE_URL": unreachable}
    )
    async with (
        build_app(settings, knowledge=KNOWLEDGE) as app,
        listening(app, "127.0.0.1", port),
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
        http.get("/healthz") as response,
    ):
        assert (response.status, await response.json()) == (
            503,
            {"status": "unavailable", "database": "unavailable"},
        )
        body = {"text": "dang ky khai sinh"}
        async with http.post("/api/chat", json=body) as chat:
            assert chat.status == 503
            assert chat.headers["Retry-After"] == "5"
            assert (await chat.json())["code"] == "unavailable"  # a polite JSON answer
        async with http.get("/api/history") as polled:
            assert polled.status == 503
            assert (await polled.json())["code"] == "unavailable"
    assert "web chat message failed" in caplog.text
    assert "khai sinh" not in caplog.text


async def test_without_credentials_only_web_and_terminal_exist(tmp_path: Path) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await prepare_database(settings.database_url)

    async with build_app(settings, knowledge=KNOWLEDGE) as app:
        assert set(app.channels) == {"web", "terminal"}
        paths = {r.path for r in app.routes if isinstance(r, web.RouteDef)}
        assert {"/", "/api/chat", "/api/history"} <= paths


async def test_what_start_up_built_stays_out_of_the_collectors_full_rounds(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path)})
    await prepare_database(settings.database_url)
    stop = asyncio.Event()
    stop.set()  # serve, then stop at once
    async with build_app(settings, knowledge=KNOWLEDGE) as app:
        gc.unfreeze()
        try:
            await run_until(app, "127.0.0.1", free_port(), stop, public=False)
            assert gc.get_freeze_count() > 0
            assert not any(tracked is app for tracked in gc.get_objects())  # frozen with it
        finally:
            gc.unfreeze()


async def test_the_message_log_is_kept_for_the_configured_days(tmp_path: Path) -> None:
    assert Settings.from_env({}).message_log_days == 90
    assert Settings.from_env({"MOTCUA_MESSAGE_LOG_DAYS": " "}).message_log_days == 90
    assert Settings.from_env({}).retention_days == 365
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_MESSAGE_LOG_DAYS": "7"})
    await prepare_database(settings.database_url)
    clock = ManualClock()
    ref = ConversationRef("web", "web-user-0001")

    async with build_app(settings, knowledge=KNOWLEDGE, clock=clock) as app:
        await app.dispatcher.handle(IncomingMessage(ref, text="dang ky khai sinh"))
        async with app.database.transaction() as session:
            logged = len(await SqlMessageLog(session).history(ref))
        clock.advance(timedelta(days=7))
        assert (await app.reminders.purge_personal_data())["message_log"] == 0  # still shown
        clock.advance(timedelta(seconds=1))
        assert (await app.reminders.purge_personal_data())["message_log"] == logged >= 2
        async with app.database.transaction() as session:
            assert await SqlMessageLog(session).history(ref) == []


@pytest.mark.slow
async def test_motcua_serve_migrates_a_fresh_file_serves_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MOTCUA_DATA_DIR": str(tmp_path / "fresh"),
        "MOTCUA_PORT": str(port),
        "MOTCUA_DATABASE_URL": "",
    }
    server = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("motcua")),
        "serve",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            while True:  # until it listens (or the test's timeout)
                assert server.returncode is None, "motcua serve exited early"
                try:
                    async with http.get("/healthz") as health:
                        if health.status == 200:
                            break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            body = {"text": "dang ky khai sinh"}
            async with http.post("/api/chat", json=body) as chat:
                assert chat.status == 200
                assert (await chat.json())["replies"]
                user = chat.cookies[COOKIE].value.partition(".")[0]
            async with http.get("/") as page:
                assert "chat.js" in await page.text()
    finally:
        server.terminate()
        _, stderr = await asyncio.wait_for(server.communicate(), timeout=30)
    assert server.returncode == 0
    log = stderr.decode()
    assert "Running upgrade" in log and "listening on" in log
    assert "dang ky" not in log and user not in log  # no personal data in logs


async def test_messenger_and_zalo_webhooks_are_mounted_from_settings(tmp_path: Path) -> None:
    port = free_port()
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing is sent while nobody writes
    settings = Settings.from_env(
        {
            "MOTCUA_DATA_DIR": str(tmp_path),
            "MOTCUA_MESSENGER_PAGE_TOKEN": "page-token",
            "MOTCUA_MESSENGER_APP_SECRET": "app-secret",
            "MOTCUA_MESSENGER_VERIFY_TOKEN": "verify-me",
            "MOTCUA_MESSENGER_API_URL": nowhere,
            "MOTCUA_ZALO_APP_ID": "1234567890",
            "MOTCUA_ZALO_OA_SECRET": "oa-secret",
            "MOTCUA_ZALO_APP_SECRET": "zalo-app-secret",
            "MOTCUA_ZALO_ACCESS_TOKEN": "access",
            "MOTCUA_ZALO_REFRESH_TOKEN": "refresh",
            "MOTCUA_ZALO_API_URL": nowhere,
            "MOTCUA_ZALO_OAUTH_URL": nowhere,
        }
    )
    await prepare_database(settings.database_url)
    async with (
        build_app(settings, knowledge=KNOWLEDGE) as app,
        listening(app, "127.0.0.1", port),
        aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http,
    ):
        assert set(app.channels) == {"web", "terminal", "messenger", "zalo"}
        handshake = {
            "hub.mode": "subscribe",
            "hub.verify_token": "verify-me",
            "hub.challenge": "42",
        }
        async with http.get("/webhooks/messenger", params=handshake) as response:
            assert (response.status, await response.text()) == (200, "42")
        async with http.post("/webhooks/zalo", json={"event_name": "user_send_text"}) as response:
            assert response.status == 403  # unsigned: refused by the real adapter


@pytest.mark.redis
async def test_with_redis_a_retry_reaching_another_worker_is_answered_once(
    tmp_path: Path, redis_url: str
) -> None:
    settings = Settings.from_env({"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_REDIS_URL": redis_url})
    await prepare_database(settings.database_url)
    body = {"text": "dang ky khai sinh", "id": "m" + os.urandom(8).hex()}
    async with (
        build_app(settings, knowledge=KNOWLEDGE) as one,
        build_app(settings, knowledge=KNOWLEDGE) as other,
        TestClient(TestServer(web_application(one))) as first_worker,
        TestClient(TestServer(web_application(other))) as second_worker,
    ):
        first = await (await first_worker.post("/api/chat", json=body)).json()
        # The same browser: its identity cookie goes to whichever worker the balancer picks.
        second_worker.session.cookie_jar.update_cookies(
            first_worker.session.cookie_jar.filter_cookies(first_worker.make_url("/"))
        )
        again = await (await second_worker.post("/api/chat", json=body)).json()
        history = await (await second_worker.get("/api/history")).json()

    assert first["replies"] and again == first  # the retry gets the first answer, not a new one
    assert [e["role"] for e in history["entries"]].count("user") == 1


@pytest.mark.slow
async def test_motcua_serve_that_cannot_prepare_its_database_says_so_in_two_lines(
    tmp_path: Path,
) -> None:
    # The schema is prepared by a child process; its failure stops the worker with its reason.
    env = {
        **os.environ,
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_PORT": str(free_port()),
        "MOTCUA_DATABASE_URL": "postgresql+asyncpg://motcua:secret@127.0.0.1:9/motcua",
    }
    server = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("motcua")),
        "serve",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(server.communicate(), timeout=120)
    assert server.returncode == 1
    lines = stderr.decode().splitlines()
    assert "Traceback" not in stderr.decode()
    assert "secret" not in stderr.decode()
    assert lines[-1].startswith("motcua serve: cannot start: SchemaNotReady")
    assert "Error" in lines[-2]  # the child's reason, e.g. ConnectionRefusedError
