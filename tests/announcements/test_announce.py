"""``motcua announce`` against the application as ``motcua serve`` runs it, with Telegram, Zalo
and Messenger on their fakes and a citizen in the web chat: each subscriber gets the
announcement once, a closed Messenger window is counted unreachable and a citizen who blocked
the bot blocked (and skipped next time); bad input is refused with nothing stored; a scheduled
announcement can be cancelled."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from fakes.messenger import FakeGraphApi
from fakes.telegram import FakeTelegram
from fakes.zalo import FakeZalo
from support.apps import serving, telegram_env, zalo_env
from support.citizens import TelegramCitizen, ZaloCitizen

from bot.announcements.sender import in_flight_for
from bot.app import App, SystemClock
from bot.cli import main
from bot.storage.subscriptions import SqlSubscriptions
from dialogs.messages import ConversationRef
from integrations.messenger import WEBHOOK_PATH as MESSENGER_WEBHOOK
from integrations.zalo import WEBHOOK_PATH as ZALO_WEBHOOK
from knowledge.base import LocalKnowledgeBase

BA_DINH = 4  # Phường Ba Đình, Hà Nội
TEXT = "Thứ Bảy này tiêm phòng sởi cho trẻ tại trạm y tế phường."
ENGLISH = "Measles vaccination for children at the ward clinic this Saturday."
PAGE_TOKEN = "announce-page-token"
APP_SECRET = "announce-app-secret"
ZALO_USER = "2468458835296197922"
IN_WINDOW, OUT_OF_WINDOW = "6543210987654301", "6543210987654302"


@dataclass
class Deployment:
    """The running app, its fakes, and the settings a ``motcua`` command needs."""

    app: App
    telegram: FakeTelegram
    zalo: FakeZalo
    graph: FakeGraphApi
    env: dict[str, str]
    folder: Path


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


def command(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """``motcua announce ARGS`` through the console script's entry point, in this process."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    def run(*args: str) -> Run:
        code = main(["announce", *args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture
def announce(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Awaitable[Run]]:
    """``motcua announce ARGS`` against the running app, as a script beside it would run it.

    The command runs in a thread, with its own event loop and database engine, while the app
    goes on serving in the test's loop: it reaches the app only through the database, as from
    a process of its own, without a second of interpreter start-up a run.
    """
    run = command(deployment.env, monkeypatch, capsys)

    async def in_thread(*args: str) -> Run:
        return await asyncio.to_thread(run, *args)

    return in_thread


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    """What ``motcua announce`` is given: the database the app uses."""
    return {"MOTCUA_DATA_DIR": str(tmp_path), "MOTCUA_DATABASE_URL": database_url}


@pytest.fixture
def platform_env() -> dict[str, str]:
    """Settings a test adds to the platforms' (a test may parametrise it)."""
    return {}


@pytest.fixture
async def deployment(
    env: dict[str, str],
    platform_env: dict[str, str],
    knowledge: LocalKnowledgeBase,
    tmp_path: Path,
) -> AsyncIterator[Deployment]:
    """``motcua serve`` in this process, its loops running, every platform on its fake."""
    async with FakeTelegram() as telegram, FakeZalo() as zalo:
        zalo.clock.current = datetime.now(UTC)
        graph = FakeGraphApi(page_token=PAGE_TOKEN, app_secret=APP_SECRET, clock=zalo.clock)
        async with graph:
            settings = {
                **env,
                **telegram_env(telegram),
                **zalo_env(zalo),
                "MOTCUA_MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
                "MOTCUA_MESSENGER_APP_SECRET": APP_SECRET,
                "MOTCUA_MESSENGER_VERIFY_TOKEN": "announce-verify",
                "MOTCUA_MESSENGER_API_URL": graph.api_url,
                **platform_env,
            }
            # The real clock: the command stamps the announcement with the real time.
            async with serving(settings, knowledge=knowledge, clock=SystemClock()) as app:
                zalo.webhook_url = f"{app.settings.public_url}{ZALO_WEBHOOK}"
                app.start_background()
                yield Deployment(app, telegram, zalo, graph, env, tmp_path)


async def _web_citizen_chooses_ba_dinh(http: aiohttp.ClientSession, url: str) -> None:
    """The web chat's own way: the menu, "Thông báo của xã", a name typed without diacritics."""

    async def say(**body: Any) -> list[dict[str, Any]]:
        async with http.post(f"{url}/api/chat", json={"locale": "vi", **body}) as response:
            assert response.status == 200, await response.text()
            replies: list[dict[str, Any]] = (await response.json())["replies"]
            return replies

    def button(replies: list[dict[str, Any]], label: str) -> str:
        [found] = [b["payload"] for r in replies for b in r["buttons"] if b["label"] == label]
        return str(found)

    replies = await say(text="menu")
    replies = await say(button=button(replies, "Thông báo của xã"))
    replies = await say(text="phuong ba dinh")
    replies = await say(button=button(replies, "Đúng, nơi tôi ở"))
    assert "Phường Ba Đình, Hà Nội" in replies[0]["text"]


async def _web_history(http: aiohttp.ClientSession, url: str) -> list[str]:
    async with http.get(f"{url}/api/history") as response:
        assert response.status == 200
        return [str(entry.get("text")) for entry in (await response.json())["entries"]]


async def _messenger_writes(deployment: Deployment, psid: str) -> None:
    """A Messenger user writes to the page (opening its 24-hour window) and is answered."""
    graph = deployment.graph
    raw = graph.envelope([graph.text(psid, "xin chao")])
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            deployment.app.settings.public_url + MESSENGER_WEBHOOK,
            data=raw,
            headers=graph.signed_headers(raw),
        ) as response,
    ):
        assert response.status == 200
    async with asyncio.timeout(10):
        while not graph.messages_to(psid):  # noqa: ASYNC110 (filled by the fake's handler)
            await asyncio.sleep(0.05)


async def _subscribe(app: App, *refs: ConversationRef) -> None:
    async with app.database.transaction() as session:
        for ref in refs:
            await SqlSubscriptions(session).choose(ref, BA_DINH, datetime.now(UTC))


def _count(texts: list[str]) -> int:
    return sum(TEXT in text for text in texts)


@pytest.mark.slow
async def test_each_subscriber_on_every_channel_gets_it_once_and_the_unreachable_are_counted(
    deployment: Deployment, announce: Callable[..., Awaitable[Run]]
) -> None:
    app, telegram, zalo, graph = (
        deployment.app,
        deployment.telegram,
        deployment.zalo,
        deployment.graph,
    )
    url = app.settings.public_url
    assert url is not None
    reader, blocker = telegram.user(7_001), telegram.user(7_002)
    english = telegram.user(7_003, language_code="en")
    await TelegramCitizen(telegram, app, reader).say("xin chao")
    await TelegramCitizen(telegram, app, english).say("hello")
    await ZaloCitizen(zalo, app, ZALO_USER).say("xin chao")
    await _messenger_writes(deployment, IN_WINDOW)
    telegram.blocked.add(blocker.id)  # blocked the bot; motcua learns it when it writes
    await _subscribe(
        app,
        ConversationRef("telegram", str(reader.id)),
        ConversationRef("telegram", str(blocker.id)),
        ConversationRef("telegram", str(english.id)),
        ConversationRef("zalo", ZALO_USER),
        ConversationRef("messenger", IN_WINDOW),
        ConversationRef("messenger", OUT_OF_WINDOW),  # never wrote: no window open
    )
    text_file = deployment.folder / "announcement.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    english_file = deployment.folder / "announcement.en.txt"
    english_file.write_text(ENGLISH, encoding="utf-8")

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
        await _web_citizen_chooses_ba_dinh(web, url)
        dry = await announce(
            "--commune",
            "00004",
            "--text-file",
            str(text_file),
            "--dry-run",
            "--json",
        )
        assert dry.code == 0, dry.err
        assert dry.json()["would_send"] == {"messenger": 2, "telegram": 3, "web": 1, "zalo": 1}

        # Telegram refuses past the adapter's own three retries: the sender waits retry_after.
        telegram.flood(retry_after=1, times=4)
        picture = deployment.folder / "poster.jpg"
        picture.write_bytes(b"\xff\xd8\xff\xe0" + bytes(2000))
        run = await announce(
            "--commune", "00004",
            "--text-file", str(text_file), "--text-en-file", str(english_file),
            "--link", "https://hanoi.gov.vn/soi", "--image", str(picture),
            "--json", "--wait",
        )  # fmt: skip
        assert run.code == 0, run.err
        report = run.json()
        assert report["state"] == "done"
        assert {
            c: {s: n for s, n in counts.items() if n} for c, counts in report["channels"].items()
        } == {
            "telegram": {"sent": 2, "blocked": 1},
            "zalo": {"sent": 1},
            "messenger": {"sent": 1, "unreachable": 1},
            "web": {"sent": 1},
        }
        assert _count([m.text for m in reader.messages]) == 1
        [in_english] = [m.text for m in english.messages if ENGLISH in m.text]
        assert in_english.startswith("📢 Announcement for Phường Ba Đình, Hà Nội\n\n")
        [got] = [m for m in reader.messages if TEXT in m.text]
        assert got.text.startswith("📢 Thông báo của Phường Ba Đình, Hà Nội\n\n")
        see, link = got.buttons
        assert link == {"text": "Mở đường dẫn", "url": "https://hanoi.gov.vn/soi"}
        assert see["text"] == "Xem ảnh"
        async with web.get(see["url"]) as shown:  # every app's button opens it
            assert shown.content_type == "image/jpeg"
            assert await shown.read() == picture.read_bytes()
        async with web.get(f"{url}/announcements/999/picture") as unknown:
            assert unknown.status == 404
        assert _count([m.text for m in zalo.sent_to(ZALO_USER)]) == 1
        assert _count([m.text for m in graph.messages_to(IN_WINDOW)]) == 1
        assert graph.messages_to(OUT_OF_WINDOW) == []  # never sent with a tag it may not use
        assert _count(await _web_history(web, url)) == 1  # what the page shows

        # Next time the citizen who blocked the bot is skipped without a try.
        tries = len(telegram.calls_of("sendMessage"))
        again = await announce(
            "--commune", "00004", "--text-file", str(text_file), "--json", "--wait"
        )
        assert again.json()["channels"]["telegram"] == {
            "queued": 0, "sent": 2, "failed": 0, "unreachable": 0, "blocked": 1
        }  # fmt: skip
        assert len(telegram.calls_of("sendMessage")) == tries + 2  # not to the blocker
        assert _count([m.text for m in reader.messages]) == 2
        assert _count(await _web_history(web, url)) == 2


SLOW_RATE = 20
"""Telegram's bot-wide rate in the priority test: 40 subscribers take two seconds."""


@pytest.mark.slow
@pytest.mark.parametrize("platform_env", [{"MOTCUA_TELEGRAM_GLOBAL_RATE": str(SLOW_RATE)}])
async def test_a_chat_reply_during_a_broadcast_is_not_stuck_behind_it(
    deployment: Deployment, announce: Callable[..., Awaitable[Run]]
) -> None:
    app, telegram = deployment.app, deployment.telegram
    citizens = [telegram.user(8_000 + n) for n in range(40)]
    await _subscribe(app, *(ConversationRef("telegram", str(c.id)) for c in citizens))
    text_file = deployment.folder / "announcement.txt"
    text_file.write_text(TEXT, encoding="utf-8")

    def announced() -> int:
        return sum(TEXT in str(call.get("text")) for call in telegram.calls_of("sendMessage"))

    run = await announce("--commune", "00004", "--text-file", str(text_file))
    assert run.code == 0, run.err
    await telegram.wait_for(lambda: announced() >= 5, within=30)

    asking = TelegramCitizen(telegram, app, citizens[-1])  # the last one the broadcast reaches
    # Telegram takes the announcement's sends without answering them while the citizen writes:
    # the broadcast can only have the sends it keeps in flight out, and the reply must not
    # queue behind the rest. No clock is read, so a slow machine cannot fail it.
    async with telegram.holding(lambda params: TEXT in str(params.get("text"))):
        before = announced()
        answer = await asking.say("xin chao")
        under_way = announced()

    assert answer, "the citizen was answered"
    assert under_way < len(citizens), "answered while the broadcast was still being sent"
    # Behind at most the sends in flight (8 at this rate), not the 35 left.
    assert under_way - before <= in_flight_for(SLOW_RATE), (before, under_way)
    await telegram.wait_for(lambda: announced() == len(citizens), within=30)


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--commune", "00005"], "Không có xã/phường nào mang mã 00005; có phải ý bạn là"),
        (["--commune", "00004", "--link", "ftp://x.vn"], "bắt đầu bằng https://"),
        (["--commune", "00004", "--at", "2020-01-01T08:00"], "Thời điểm gửi đã qua"),
        (["--commune", "00004", "--image", "{fake_png}"], "Ảnh phải là tệp JPEG hoặc PNG"),
        (["--commune", "00004", "--image", "{large_png}"], "chỉ nhận tối đa 1024 KB"),
        (["--commune", "00004", "--text-file", "{empty}"], "Hãy viết nội dung thông báo"),
        (["--commune", "00004", "--text-file", "{long}"], "chỉ chứa được tối đa 2000 ký tự"),
        (["--province", "99"], "Không có tỉnh/thành phố nào mang mã 99"),
        (["--commune", "00004", "--at", "tomorrow"], "--at 'tomorrow' is no time"),
        (["--commune", "00004", "--text-file", "{missing}"], "cannot read the text file"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_is_stored(
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    reason: str,
) -> None:
    run = command(env, monkeypatch, capsys)
    paths = {name: tmp_path / f"{name}.txt" for name in ("text", "empty", "long", "missing")}
    paths["text"].write_text("Lịch tiêm chủng", encoding="utf-8")
    paths["empty"].write_text("  \n", encoding="utf-8")
    paths["long"].write_text("x" * 2001, encoding="utf-8")
    paths["fake_png"] = tmp_path / "picture.png"
    paths["fake_png"].write_text("not a picture")
    paths["large_png"] = tmp_path / "large.png"
    paths["large_png"].write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(1024 * 1024))
    given = [a.format(**{k: str(v) for k, v in paths.items()}) for a in args]
    if "--text-file" not in given:
        given += ["--text-file", str(paths["text"])]

    refused = run(*given)

    assert refused.code == 2
    assert reason in refused.err
    assert "Traceback" not in refused.err
    assert run("--report", "1").code == 1  # nothing stored


def test_a_scheduled_announcement_is_cancelled_and_one_cancelled_says_so(
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = command(env, monkeypatch, capsys)
    text_file = tmp_path / "t.txt"
    text_file.write_text(TEXT, encoding="utf-8")
    later = run(
        "--province", "01", "--text-file", str(text_file), "--at", "2099-01-01T08:00", "--json"
    )
    assert later.code == 0, later.err
    created = later.json()
    assert created["state"] == "scheduled" and created["provinces"] == ["01"]
    assert "00004" in created["communes"]  # the whole of Hà Nội

    cancelled = run("--cancel", str(created["id"]))
    assert cancelled.code == 0
    assert cancelled.out.strip() == f"announcement {created['id']} cancelled: nobody will get it"
    again = run("--cancel", str(created["id"]))
    assert again.code == 1 and "was cancelled before" in again.err
    assert run("--report", str(created["id"]), "--json").json()["state"] == "cancelled"
    missing = run("--cancel", "999")
    assert missing.code == 1 and "no announcement has the id 999" in missing.err
