"""The web chat's JSON API: answers, history after a reload, retries, proactive messages, and
refusal of bad input with nothing stored."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import text
from webchat_support import Client, NoKnowledge, ScriptedDialog, TaggedTranslator, identity

from bot.app import App, build_app
from bot.config import Settings
from bot.i18n import translator
from bot.server import web_application


async def chat(client: Client, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/chat", json=body)
    assert response.status == 200, await response.text()
    data: dict[str, Any] = await response.json()
    return data


async def history(client: Client, after: int = 0) -> dict[str, Any]:
    response = await client.get("/api/history", params={"after": str(after)})
    assert response.status == 200
    data: dict[str, Any] = await response.json()
    return data


async def test_text_gets_replies_with_buttons(client: Client, scripted: ScriptedDialog) -> None:
    data = await chat(client, text="dang ky khai sinh", locale="vi")

    assert [r["text"] for r in data["replies"]] == [
        "Bạn hỏi: dang ky khai sinh",
        "Bạn có giấy khai sinh không?",
    ]
    assert data["replies"][1]["buttons"] == [
        {"label": "Có", "payload": "q:yes", "url": None},
        {"label": "Không", "payload": "q:no", "url": None},
        {"label": "Cổng dịch vụ công", "payload": None, "url": "https://dichvucong.gov.vn"},
    ]
    message = scripted.received[0]
    assert (message.ref.channel, message.ref.user_id) == ("web", identity(client))
    assert (message.text, message.payload, message.locale) == ("dang ky khai sinh", None, "vi")


async def test_history_restores_conversation_with_button_labels(client: Client) -> None:
    await chat(client, text="xin chao")
    await chat(client, button="q:yes")

    data = await history(client)

    assert [(e["role"], e["text"]) for e in data["entries"]] == [
        ("user", "xin chao"),
        ("bot", "Bạn hỏi: xin chao"),
        ("bot", "Bạn có giấy khai sinh không?"),
        ("user", "Có"),  # the pressed button's label, not its payload
        ("bot", "Tốt lắm."),
    ]
    seqs = [e["seq"] for e in data["entries"]]
    assert seqs == sorted(seqs) and data["last"] == seqs[-1]
    assert (await history(client, after=data["last"]))["entries"] == []


async def test_retry_with_same_id_is_answered_once(
    client: Client, scripted: ScriptedDialog
) -> None:
    first = await chat(client, text="lam cccd", id="m1")
    again = await chat(client, text="lam cccd", id="m1")

    assert len(first["replies"]) == 2
    assert again == first  # the first answer again, not a second turn
    assert len(scripted.received) == 1
    assert len((await history(client))["entries"]) == 3


async def test_reminder_reaches_the_page_by_polling(client: Client, app: App) -> None:
    await chat(client, text="nhac toi")
    cursor = (await history(client))["last"]

    assert await app.reminders.run_once() == 1

    polled = await history(client, after=cursor)
    assert [(e["role"], e["text"]) for e in polled["entries"]] == [("bot", "Nhắc bạn: nộp hồ sơ")]
    assert polled["last"] > cursor
    # The reminder's own payload was not something the user did: it is not shown.
    assert [e["role"] for e in (await history(client))["entries"]] == ["user", "bot", "bot"]


async def test_pressing_a_reminders_button_shows_its_label(client: Client, app: App) -> None:
    await chat(client, text="nhac toi")
    await app.reminders.run_once()

    await chat(client, button="q:yes")

    entries = (await history(client))["entries"]
    assert [(e["role"], e["text"]) for e in entries[-2:]] == [
        ("user", "Tiếp tục"),
        ("bot", "Tốt lắm."),
    ]


async def test_a_forged_button_is_answered_but_not_shown_as_pressed(
    client: Client, scripted: ScriptedDialog
) -> None:
    data = await chat(client, button="admin:delete")

    assert data["replies"][0]["text"] == "Nút: admin:delete"
    assert [e["role"] for e in (await history(client))["entries"]] == ["bot"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_json"),
        (b"\xff\xfe", 400, "bad_json"),
        (b"[1, 2]", 400, "bad_json"),
        (b"{}", 400, "text_or_button"),
        (json.dumps({"text": "a", "button": "b"}).encode(), 400, "text_or_button"),
        (json.dumps({"text": 42}).encode(), 400, "bad_type"),
        (json.dumps({"button": ["x"]}).encode(), 400, "bad_type"),
        (json.dumps({"text": "   "}).encode(), 400, "empty"),
        (
            json.dumps({"user": "chosen-by-the-page", "text": "hi"}).encode(),
            403,
            "user_not_accepted",
        ),
        (json.dumps({"text": "hi", "id": 5}).encode(), 400, "bad_id"),
        (json.dumps({"text": "hi", "locale": "<x>"}).encode(), 400, "bad_locale"),
        (json.dumps({"text": "a" * 6001}).encode(), 413, "text_too_long"),
        (json.dumps({"text": "a" * 33000}).encode(), 413, "body_too_large"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    client: Client, scripted: ScriptedDialog, body: bytes, status: int, code: str
) -> None:
    errors = {}
    for language in ("", "en-US,en;q=0.9"):
        response = await client.post(
            "/api/chat",
            data=body,
            headers={"Content-Type": "application/json", "Accept-Language": language},
        )
        assert response.status == status
        errors[language] = error = await response.json()
        assert error["code"] == code

    # Vietnamese unless the browser prefers English (every English message is plain ASCII).
    vietnamese, english = errors[""]["error"], errors["en-US,en;q=0.9"]["error"]
    assert not vietnamese.isascii() and english.isascii()
    assert scripted.received == []
    assert (await history(client))["entries"] == []


async def refusal(client: Client, body: dict[str, Any], accept_language: str = "") -> str:
    """The error message the API answers a refused chat body with."""
    response = await client.post(
        "/api/chat", json=body, headers={"Accept-Language": accept_language}
    )
    assert response.status == 400
    message: str = (await response.json())["error"]
    return message


async def test_refusals_speak_the_requests_language(client: Client) -> None:
    both = {"text": "a", "button": "b"}
    vi = "Cần đúng một trong hai trường 'text' hoặc 'button'."
    en = "Send exactly one of 'text' or 'button'."

    assert await refusal(client, both) == vi  # the default
    assert await refusal(client, {**both, "locale": "en"}) == en  # the page's language first
    assert await refusal(client, {**both, "locale": "vi"}, "en") == vi
    assert await refusal(client, {**both, "locale": "en_GB"}, "vi") == en
    # The browser's first language the page offers, by preference; q=0 means "not this one".
    assert await refusal(client, both, "fr-FR, en;q=0.8, vi;q=0.5") == en
    assert await refusal(client, both, "vi;q=0.4, en-US;q=0.9") == en
    assert await refusal(client, both, "en;q=0, fr") == vi
    assert await refusal(client, {**both, "locale": "fr"}, "en-GB") == en  # not offered
    # A placeholder is filled in either language, even when the locale field is what is wrong.
    assert await refusal(client, {"text": "hi", "locale": "<x>"}, "en") == "Invalid 'locale' field."
    assert await refusal(client, {"text": "hi", "id": "?"}) == "Trường 'id' không hợp lệ."


async def test_a_failing_service_apologises_in_the_requests_language(
    app: App, client: Client
) -> None:
    await client.get("/")  # the page gave this browser its identity
    async with app.database.engine.begin() as connection:
        await connection.execute(text("DROP TABLE inbox"))
        await connection.execute(text("DROP TABLE message_log"))

    response = await client.post("/api/chat", json={"text": "hi", "locale": "en"})
    assert response.status == 503
    assert await response.json() == {
        "error": "Sorry, the service is busy. Please try again in a few minutes.",
        "code": "unavailable",
    }
    response = await client.get("/api/history")
    assert response.status == 503
    assert (await response.json())["error"] == (
        "Xin lỗi, hệ thống đang bận. Bạn vui lòng thử lại sau ít phút."
    )


async def test_a_body_that_is_not_declared_json_is_refused(
    client: Client, scripted: ScriptedDialog
) -> None:
    body = json.dumps({"text": "hi"})
    response = await client.post("/api/chat", data=body, headers={"Content-Type": "text/plain"})

    assert response.status == 415
    assert (await response.json())["code"] == "not_json"
    assert scripted.received == []


@pytest.mark.parametrize("after", ["-1", "abc"])
async def test_bad_history_query_is_refused(client: Client, after: str) -> None:
    response = await client.get("/api/history", params={"after": after})

    assert response.status == 400
    assert await response.json() == {
        "error": "'after' phải là số nguyên không âm.",
        "code": "bad_after",
    }


async def test_history_refusals_follow_the_browsers_language(client: Client) -> None:
    response = await client.get(
        "/api/history", params={"after": "x"}, headers={"Accept-Language": "en"}
    )

    assert await response.json() == {
        "error": "'after' must be a whole number.",
        "code": "bad_after",
    }


async def test_page_is_served_with_its_assets(client: Client) -> None:
    page = await client.get("/")
    html = await page.text()

    assert page.status == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<html lang="vi">' in html and 'aria-live="polite"' in html
    for asset in ("/static/chat.js", "/static/chat.css", "/static/icon.svg"):
        assert asset in html
        assert (await client.get(asset)).status == 200


def page_strings(page: str) -> dict[str, dict[str, Any]]:
    """The words the page carries for its script, every language."""
    match = re.search(r'<body data-strings="([^"]*)">', page)
    assert match is not None
    strings: dict[str, dict[str, Any]] = json.loads(html.unescape(match.group(1)))
    return strings


async def test_page_words_come_from_the_catalogs(client: Client) -> None:
    page = await (await client.get("/")).text()
    vi, en = translator("vi").gettext, translator("en").gettext

    # Vietnamese is written into the HTML, for the first paint and for shared links.
    assert "<title>Một cửa – Hỏi đáp thủ tục hành chính</title>" in page
    assert vi("e.g. ID card") == "Ví dụ: làm căn cước"
    assert f'placeholder="{vi("e.g. ID card")}"' in page
    assert f">{vi('Your question')}</label>" in page
    assert f'aria-label="{en("Switch to English")}">{en("English")}</button>' in page
    assert "Trang này cần bật JavaScript. / This page needs JavaScript turned on." in page

    strings = page_strings(page)
    assert list(strings) == ["vi", "en"]  # the default first, then the language button's order
    assert strings["vi"]["placeholder"] == "Ví dụ: làm căn cước"
    assert strings["en"]["placeholder"] == en("e.g. ID card") == "e.g. ID card"
    assert strings["en"]["welcome"] == en(
        "Hello! I help you with public procedures: which papers you need, where to go, "
        "how long it takes and what it costs.\nType a question, or choose below."
    )
    assert (strings["vi"]["language"], strings["vi"]["switch"]) == (
        "Tiếng Việt",
        "Chuyển sang tiếng Việt",
    )
    assert strings["vi"]["examples"][2] == {"label": "Xem danh mục", "text": "menu"}
    assert strings["en"]["examples"][0] == {
        "label": "Birth registration",
        "text": "Birth registration",
    }
    assert strings["vi"].keys() == strings["en"].keys()


async def test_page_words_are_the_translators_and_escaped(
    settings: Settings, scripted: ScriptedDialog
) -> None:
    async with (
        build_app(
            settings, knowledge=NoKnowledge(), translator=TaggedTranslator, dialog=scripted
        ) as app,
        TestClient(TestServer(web_application(app))) as tagged,
    ):
        page = await (await tagged.get("/")).text()
        refused = await tagged.post("/api/chat", json={"locale": "en"})
        error = await refused.json()

    assert "<vi>" not in page  # markup in a translation is shown, never run
    assert 'placeholder="&lt;vi&gt; e.g. ID card"' in page
    assert "&lt;vi&gt; Your question</label>" in page

    strings = page_strings(page)
    assert strings["en"]["send"] == "<en> Send"
    assert strings["vi"]["title"] == "<vi> Một cửa – <vi> Public service questions"
    # The API's refusals come from the same translators.
    assert error == {
        "error": "<en> Send exactly one of 'text' or 'button'.",
        "code": "text_or_button",
    }


async def test_healthz_reports_the_database(client: Client) -> None:
    response = await client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {"status": "ok", "database": "ok"}
