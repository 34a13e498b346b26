"""The sandbox portal on a local port, a webhook receiver that records calls, and a valid body."""

from __future__ import annotations

import asyncio
import copy
import io
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from support.procedures import BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE

from bot.app import App
from bot.portal import WEBHOOK_PATH, procedure_terms, serving_sandbox
from integrations.portal import HttpPortalClient
from integrations.portal.contract import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from integrations.portal.sandbox import SandboxPortal
from knowledge.base import LocalKnowledgeBase

KNOWLEDGE = LocalKnowledgeBase([BIRTH, SINGLE_STATUS, TEMPORARY_RESIDENCE])
ONE_SECOND = timedelta(seconds=1)

BODY: dict[str, Any] = {
    "procedure_code": "1.001193",
    "applicant": {
        "full_name": "Nguyễn Thị Hoà",
        "id_number": "001190012345",
        "phone": "+84912345678",
        "address": "Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội",
    },
    "form": {"child_name": "Nguyễn Minh Khôi"},
    "delivery": {"method": "pickup"},
}


def body(**changes: Any) -> dict[str, Any]:
    """A valid filing request with top-level fields replaced."""
    built = copy.deepcopy(BODY)
    built.update(changes)
    return built


@dataclass
class Running:
    """A sandbox being served, with a client holding its key."""

    sandbox: SandboxPortal
    client: HttpPortalClient
    url: str


@asynccontextmanager
async def running_sandbox(
    tmp_path: Path, *, now: Callable[[], datetime] | None = None, **options: Any
) -> AsyncIterator[Running]:
    """A fresh sandbox on a free port, and a client for it."""
    extra: dict[str, Any] = dict(options)
    if now is not None:
        extra["now"] = now
    sandbox = SandboxPortal(
        tmp_path / "sandbox.sqlite3",
        procedure_terms(KNOWLEDGE),
        public_url="http://127.0.0.1",
        **extra,
    )
    async with sandbox, serving_sandbox(sandbox, "127.0.0.1", 0) as url:
        client = HttpPortalClient(url, sandbox.api_key, backoff=0.01)
        async with client:
            yield Running(sandbox, client, url)


PORTAL_KEY = "key-for-the-test"
PORTAL_SECRET = "secret-for-the-test"


def down_portal_env(tmp_path: Path) -> tuple[dict[str, str], int]:
    """Settings naming a portal on a free port where nothing listens yet; the port."""
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port: int = spare.getsockname()[1]
    env = {
        "MOTCUA_DATA_DIR": str(tmp_path),
        "MOTCUA_PORTAL_URL": f"http://127.0.0.1:{port}",
        "MOTCUA_PORTAL_API_KEY": PORTAL_KEY,
        "MOTCUA_PORTAL_WEBHOOK_SECRET": PORTAL_SECRET,
    }
    return env, port


@asynccontextmanager
async def portal_back(
    tmp_path: Path, port: int, now: Callable[[], datetime]
) -> AsyncIterator[SandboxPortal]:
    """The portal of :func:`down_portal_env` coming back: a sandbox on its port."""
    sandbox = SandboxPortal(
        tmp_path / "later.sqlite3",
        procedure_terms(KNOWLEDGE),
        public_url=f"http://127.0.0.1:{port}",
        api_key=PORTAL_KEY,
        webhook_secret=PORTAL_SECRET,
        now=now,
    )
    async with sandbox, serving_sandbox(sandbox, "127.0.0.1", port, fallback=False):
        yield sandbox


def status_event(code: str, status: str, event_id: str, at: datetime) -> bytes:
    """A portal webhook's body: ``code`` moved to ``status`` at ``at``."""
    return json.dumps(
        {
            "event_id": event_id,
            "event": "dossier.status_changed",
            "code": code,
            "status": status,
            "note": "",
            "occurred_at": at.isoformat(),
        }
    ).encode()


async def post_webhook(app: App, raw: bytes, stamp: str, signature: str) -> int:
    """POST a portal webhook to motcua; the HTTP status it answered."""
    url = f"{app.settings.public_url}{WEBHOOK_PATH}"
    headers = {TIMESTAMP_HEADER: stamp, SIGNATURE_HEADER: signature}
    async with aiohttp.ClientSession() as http, http.post(url, data=raw, headers=headers) as got:
        return got.status


async def forge_stale_and_replay(app: App, code: str, now: datetime) -> list[int]:
    """Webhooks about dossier ``code`` that must change nothing, around real ones; the statuses
    motcua answered, in order.

    A forged "result_ready" (signed with another secret, then unsigned) and a stale one (right
    signature, timestamp 301 s old); then a genuine "accepted", the same event replayed, the
    same event id carrying "result_ready", and last a genuine "processing". Events of one
    dossier are applied in order, so once "processing" reached the citizen, so did everything
    that was going to: "accepted" once, "result_ready" never.
    """
    secret = app.portal.webhook_secret
    stamp = str(int(now.timestamp()))
    stale = str(int(now.timestamp()) - 301)
    ready = status_event(code, "result_ready", "forged", now)
    accepted = status_event(code, "accepted", "ev-1", now)
    answers = [
        await post_webhook(app, ready, stamp, sign("not-the-secret", stamp, ready)),
        await post_webhook(app, ready, stamp, ""),
        await post_webhook(app, ready, stale, sign(secret, stale, ready)),
        await post_webhook(app, accepted, stamp, sign(secret, stamp, accepted)),
        await post_webhook(app, accepted, stamp, sign(secret, stamp, accepted)),
    ]
    same_id = status_event(code, "result_ready", "ev-1", now)
    answers.append(await post_webhook(app, same_id, stamp, sign(secret, stamp, same_id)))
    later = status_event(code, "processing", "ev-2", now.replace(microsecond=0) + ONE_SECOND)
    answers.append(await post_webhook(app, later, stamp, sign(secret, stamp, later)))
    return answers


FORGED_STALE_AND_REPLAYED = [401, 401, 400, 200, 200, 200, 200]
"""What motcua answers :func:`forge_stale_and_replay`'s webhooks."""


@dataclass
class Receiver:
    """An HTTP endpoint that records webhook calls and fails the first ``failures`` of them."""

    failures: int = 0
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    url: str = ""
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        """Record the call; answer 500 while failures remain, then 200."""
        self.calls.append((dict(request.headers), await request.read()))
        self.arrived.set()
        if len(self.calls) <= self.failures:
            return web.Response(status=500)
        return web.json_response({"status": "ok"})

    async def wait_for(self, count: int) -> None:
        """Until ``count`` calls have arrived (ten seconds at most)."""
        async with asyncio.timeout(10):
            while len(self.calls) < count:
                self.arrived.clear()
                await self.arrived.wait()


@asynccontextmanager
async def receiving(failures: int = 0) -> AsyncIterator[Receiver]:
    """A recording webhook receiver on a free port."""
    receiver = Receiver(failures)
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        receiver.url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
        await web.SockSite(runner, listener).start()
        try:
            yield receiver
        finally:
            await runner.cleanup()


class WebCitizen:
    """A citizen using the web chat's JSON API as the page does, known by the server's cookie."""

    def __init__(self, base: str, locale: str = "en") -> None:
        self.base = base
        self.locale = locale
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def close(self) -> None:
        await self.http.close()

    async def _post(self, **body: Any) -> list[dict[str, Any]]:
        url = f"{self.base}/api/chat"
        async with self.http.post(url, json={"locale": self.locale, **body}) as got:
            assert got.status == 200, await got.text()
            data = await got.json()
        return list(data["replies"])

    async def say(self, text: str) -> str:
        """Type a message; the text of the answer."""
        return "\n".join(r["text"] for r in await self._post(text=text))

    async def upload(self, data: bytes | AsyncIterator[bytes], name: str) -> str:
        """Send a file from the page's upload button (bytes, or a stream sent without a
        declared length); the text of the answer."""
        url = f"{self.base}/api/chat/file"
        query = {"name": name, "locale": self.locale}
        body = io.BytesIO(data) if isinstance(data, bytes) else data
        async with self.http.post(url, params=query, data=body) as got:
            assert got.status == 200, await got.text()
            replies = (await got.json())["replies"]
        return await self._read_on(replies)

    async def press(self, payload: str) -> str:
        """Tap a button; the text of the answer."""
        return "\n".join(r["text"] for r in await self._post(button=payload))

    async def read_whole(self, payload: str) -> str:
        """Tap a button; the text of the answer, "More" tapped while it is offered."""
        return await self._read_on(await self._post(button=payload))

    async def _read_on(self, replies: list[dict[str, Any]]) -> str:
        """The text of ``replies`` and of every "More" part after them, as a citizen reads a
        reply longer than a screen (a review of a filing in English is)."""
        texts = [r["text"] for r in replies]
        while more := [b["payload"] for b in replies[-1]["buttons"] if b["payload"][:5] == "more:"]:
            replies = await self._post(button=more[0])
            texts += [r["text"] for r in replies]
        return "\n".join(texts)

    async def labels(self, payload: str) -> list[str]:
        """Tap a button; the labels of the buttons the answer offers."""
        return [b["label"] for r in await self._post(button=payload) for b in r["buttons"]]

    async def history(self) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.base}/api/history") as got:
            return list((await got.json())["entries"])

    async def pushed(self, needle: str, times: int = 1) -> str:
        """Wait (10 s at most) until ``times`` messages containing ``needle`` reached the page;
        the text of the last."""
        for _ in range(200):
            found = [
                str(entry["text"])
                for entry in await self.history()
                if entry["role"] == "bot" and needle in entry["text"]
            ]
            if len(found) >= times:
                return found[-1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"never pushed: {needle!r}")


@asynccontextmanager
async def web_citizen(app: App) -> AsyncIterator[WebCitizen]:
    """A web-chat citizen with their own cookie jar."""
    citizen = WebCitizen(app.settings.public_url)
    try:
        yield citizen
    finally:
        await citizen.close()


async def fill_birth_registration(citizen: WebCitizen) -> str:
    """Walk the whole birth-registration form with a few mistakes on the way; the review."""
    assert "Birth" in await citizen.press("m:submit") or True
    consent = await citizen.press("f:go:1.001193")
    assert "Decree 13/2023" in consent
    assert "Question 1 of 11: Your full name" in await citizen.press("f:ok")
    assert "Question 2" in await citizen.say("Nguyễn Thị Hoà")
    assert "you typed 11" in await citizen.say("00119001234")
    assert "Question 3" in await citizen.say("001190012345")
    assert "not a Vietnamese phone number" in await citizen.say("0912 345 67")
    assert "Question 4" in await citizen.say("+84 912 345 678")
    assert "Question 5" in await citizen.say("Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội")
    assert "Question 6" in await citizen.press("f:c:mother")
    assert "Question 7" in await citizen.say("Nguyễn Minh Khôi")
    assert "not a date on the calendar" in await citizen.say("31/02/2026")
    assert "day/month/year" in await citizen.say("không nhớ")  # no day in these words
    assert "in the future" in await citizen.say("24/12/2026")
    assert "Question 8" in await citizen.say("20/11/2026")
    assert "Question 9" in await citizen.press("f:c:male")
    assert "Question 10 of 10" in await citizen.say("Bệnh viện Phụ sản Hà Nội")
    assert "receive the result" in await citizen.press("f:skip")
    return await citizen.read_whole("f:d:pickup")


async def join_the_group(citizen: WebCitizen, name: str = "Trần Văn Bình") -> None:
    """Ask to join the digital-technology group from the menu: name, commune, phone, send."""
    assert "Question 1 of 3" in await citizen.press("m:join")
    assert "Question 2 of 3" in await citizen.say(name)
    assert "Is it Phường Ba Đình, Hà Nội?" in await citizen.say("phuong Ba Dinh")
    assert "Question 3 of 3" in await citizen.press("nw:ok:4")
    assert "Phone: 0912345678" in await citizen.say("0912 345 678")
    assert "with the group's coordinators" in await citizen.press("vo:send")
