"""A failure behind the web chat is logged with its cause and the request's id, and nothing the
citizen typed: once when the dialog fails, once when the database does."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text
from webchat_support import Client, ScriptedDialog, identity

from bot.app import App
from dialogs.messages import IncomingMessage
from dialogs.step import DialogDeps, State, Step

SAID = "con toi sinh ngay 3/4, me so 0987654321, cccd 079190001234, email me@nha.vn"
PERSONAL = (SAID, "0987654321", "079190001234", "me@nha.vn", "sinh ngay 3/4")


class FailingDialog(ScriptedDialog):
    """Fails the way a bug would: its error quotes what the citizen typed."""

    def __call__(self, state: State, message: IncomingMessage, deps: DialogDeps) -> Step:
        raise KeyError(f"no rule for {message.text!r}")


@pytest.fixture
def scripted() -> ScriptedDialog:
    return FailingDialog()


def _failures(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.ERROR and name in r.getMessage()]


async def test_a_failing_dialog_is_logged_with_traceback_and_request_id_only(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    await client.get("/")  # the page hands out the citizen's identity
    response = await client.post("/api/chat", json={"text": SAID})

    assert response.status == 200  # the citizen gets the apology
    [record] = _failures(caplog, "dialog failed")
    assert record.request_id == response.headers["X-Request-Id"]
    assert record.exc_text is not None
    assert (
        "Traceback" in record.exc_text and "KeyError: \"no rule for '<text>'\"" in record.exc_text
    )
    for secret in (identity(client), *PERSONAL):
        assert secret not in caplog.text


async def test_a_failing_database_is_logged_with_its_cause_and_request_id(
    client: Client, app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async with app.database.transaction() as session:
        await session.execute(text("DROP TABLE inbox"))

    await client.get("/")  # the page hands out the citizen's identity
    response = await client.post("/api/chat", json={"text": SAID})

    assert response.status == 503
    assert (await response.json())["code"] == "unavailable"
    [record] = _failures(caplog, "web chat message failed")
    assert record.request_id == response.headers["X-Request-Id"]
    assert record.exc_text is not None and "no such table: inbox" in record.exc_text
    for secret in (identity(client), *PERSONAL):
        assert secret not in caplog.text
