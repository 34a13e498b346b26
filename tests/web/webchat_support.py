"""A stand-in conversation and small helpers shared by the web chat tests.

The scripted dialog replaces only ``dialogs.engine.handle``: the dispatcher, storage, message
log and web channel under test are the real ones.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import TestClient

from dialogs.messages import Button, IncomingMessage, Reply
from dialogs.step import DialogDeps, ScheduleReminder, State, Step
from integrations.webchat.identity import COOKIE
from knowledge.model import Procedure
from knowledge.questions import Answer, AnswerKind
from knowledge.results import SearchResult

Client = TestClient[web.Request, web.Application]


def identity(client: Client) -> str:
    """The web-chat identity the server issued to this client (from its cookie jar)."""
    cookie = client.session.cookie_jar.filter_cookies(client.make_url("/"))[COOKIE]
    return cookie.value.partition(".")[0]


class ScriptedDialog:
    """Answers text with a yes/no question and "nhac toi" with a reminder due at once.

    Records every message it was given.
    """

    def __init__(self) -> None:
        self.received: list[IncomingMessage] = []

    def __call__(self, state: State, message: IncomingMessage, deps: DialogDeps) -> Step:
        self.received.append(message)
        turns = int(state.get("turns", 0)) + 1
        if message.text == "nhac toi":
            due = ScheduleReminder(deps.clock.now(), "remind:hs")
            return Step({"turns": turns}, (Reply("Tôi sẽ nhắc bạn."),), (due,))
        replies: tuple[Reply, ...]
        if message.payload == "remind:hs":
            replies = (Reply("Nhắc bạn: nộp hồ sơ", (Button("Tiếp tục", payload="q:yes"),)),)
        elif message.payload == "q:yes":
            replies = (Reply("Tốt lắm.", (Button("Menu", payload="menu"),)),)
        elif message.payload is not None:
            replies = (Reply(f"Nút: {message.payload}"),)
        else:
            replies = (
                Reply(f"Bạn hỏi: {message.text}"),
                Reply(
                    "Bạn có giấy khai sinh không?",
                    (
                        Button("Có", payload="q:yes"),
                        Button("Không", payload="q:no"),
                        Button("Cổng dịch vụ công", url="https://dichvucong.gov.vn"),
                    ),
                ),
            )
        return Step({"turns": turns}, replies)


class NoKnowledge:
    """A knowledge base with no procedures (the scripted dialog never consults it)."""

    def get(self, code: str) -> Procedure | None:
        return None

    def search(self, query: str, locale: str = "vi", limit: int = 5) -> SearchResult:
        return SearchResult(query, None)

    def answer(self, query: str, locale: str = "vi", limit: int = 5) -> Answer:
        return Answer(AnswerKind.NONE, SearchResult(query, None))


class TaggedTranslator:
    """Every message id marked with its locale in angle brackets, e.g. ``<en> Send``.

    What the page shows is then visibly the translator's output, and markup in a translation
    shows whether the page escapes it.
    """

    def __init__(self, locale: str) -> None:
        self.locale = locale

    def gettext(self, message: str) -> str:
        return f"<{self.locale}> {message}"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)

    def format_date(self, value: datetime) -> str:
        return value.astimezone(UTC).strftime("%d/%m/%Y")

    def format_money(self, amount: int) -> str:
        return f"{amount} ₫"

    def format_moment(self, value: datetime) -> str:
        return value.strftime("%H:%M %d/%m/%Y")
