"""``motcua chat``: talk to the assistant in a terminal, or drive it from a script (``--jsonl``).

Both modes go through the same dispatcher and database as the web chat, on the ``terminal``
channel, so ``--user ID`` resumes a conversation where any earlier run left it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from bot import logs
from bot.app import TERMINAL, build_app
from bot.config import Settings
from bot.history import WINDOW, LogHistory
from bot.server import STARTUP_ERRORS
from bot.storage.schema_head import prepare_database
from dialogs.messages import Attachment, Button, ConversationRef, IncomingMessage, Reply
from dialogs.ports import MAX_PAPER_BYTES, MessageHandler, PaperStore

QUIT = {"/quit", "/exit", "quit", "exit", "thoát", "thoat"}

_REFUSALS = {
    "too_big": f"file refused: larger than {MAX_PAPER_BYTES // (1024 * 1024)} MB",
    "wrong_type": "file refused: not a JPEG, PNG or PDF (judged by its content, not its name)",
    "unreadable": "file refused: it could not be read",
}
"""The error a script reads beside the chat's own words when a file is refused."""


def register(subparsers: Any) -> None:
    """Add the ``chat`` sub-command."""
    parser = subparsers.add_parser(
        "chat",
        help="chat in the terminal (--jsonl for scripts)",
        description="Chat in the terminal: type a question; type a button's number to press it; "
        '/quit or Ctrl+D to leave. With --jsonl, each input line is {"text": ...}, '
        '{"button": LABEL_OR_PAYLOAD} or {"file": PATH} (a photo or PDF of a paper, when the '
        'chat asks for one) and each answer is one line {"replies": [...]}; a file that is '
        'refused also gets "error".',
    )
    parser.add_argument(
        "--user", default="local", help="conversation id; the same id resumes it (default: local)"
    )
    parser.add_argument("--jsonl", action="store_true", help="JSON lines in and out, for scripts")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run a terminal session until end of input."""
    logs.configure(logging.WARNING)
    user = str(args.user).strip()
    if not user or len(user) > 64:
        print("motcua chat: --user must be 1 to 64 characters", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_session(Settings.from_env(), user, jsonl=bool(args.jsonl)))
    except STARTUP_ERRORS as exc:
        print(f"motcua chat: cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print()
        return 130


async def _session(settings: Settings, user: str, *, jsonl: bool) -> int:
    await prepare_database(settings.database_url)
    async with build_app(settings, platforms=False) as app:
        app.start_session_loops(TERMINAL)
        terminal = Terminal(
            app.dispatcher.handle,
            LogHistory(app.database, TERMINAL),
            user,
            app.papers,
            news_interval=settings.chat_news_seconds,
        )
        answer = await terminal.resume()
        if jsonl:
            await terminal.run_jsonl(sys.stdin, sys.stdout)
        else:
            await terminal.run_interactive(answer)
    return 0


class BadLine(ValueError):
    """An input line that is not a valid ``--jsonl`` request."""


class Terminal:
    """One user's conversation on the ``terminal`` channel, with the buttons it can press."""

    def __init__(
        self,
        handler: MessageHandler,
        history: LogHistory,
        user: str,
        papers: PaperStore | None = None,
        *,
        news_interval: float = 2.0,
    ) -> None:
        """A session of ``user``'s.

        Args:
            news_interval: seconds between looks at the prompt for replies nobody typed for:
                a dossier's receipt and moves, a staff answer, a reminder (the session's own
                loops, or a ``motcua serve`` or ``motcua worker`` on the same database, send
                them; the terminal's channel only logs them).
        """
        self._handler = handler
        self._news_interval = news_interval
        self._papers = papers
        self._history = history
        self._ref = ConversationRef(TERMINAL, user)
        self.buttons: tuple[Button, ...] = ()
        self._seen = 0
        self._turn_lock = asyncio.Lock()

    async def resume(self) -> list[Reply]:
        """The latest answer of an earlier run (or a reminder since), whose buttons still work."""
        answer = [
            Reply(e.text, e.buttons) for e in await self._history.latest_answer(self._ref.user_id)
        ]
        self.buttons = tuple(b for r in answer for b in r.buttons)
        self._seen = await self._newest()
        return answer

    async def news(self) -> list[Reply]:
        """The replies logged since the last answer that no turn of this session asked for;
        their buttons are the ones a number presses from now on."""
        async with self._turn_lock:
            entries = await self._history.since(self._ref.user_id, self._seen, WINDOW)
            if entries:
                self._seen = entries[-1].seq
            replies = [Reply(e.text, e.buttons) for e in entries if e.role == "bot"]
            if replies:
                self.buttons = tuple(b for r in replies for b in r.buttons)
            return replies

    async def _newest(self) -> int:
        last = await self._history.since(self._ref.user_id, 0, 1)
        return last[-1].seq if last else 0

    async def say(self, text: str) -> list[Reply]:
        """Send typed text."""
        return await self._turn(IncomingMessage(self._ref, text=text))

    async def send_file(self, path: str) -> tuple[list[Reply], str]:
        """Send a file as a paper; the replies, and why it was refused ("" when it was not).

        A file over the limit is not even read; an unreadable path is a ``BadLine``.
        """
        if self._papers is None:
            raise BadLine("files cannot be sent here")
        name, size, data = await asyncio.to_thread(_read_paper, path)
        if data is None:
            attachment = Attachment("file", name=name, size=size, refused="too_big")
        else:
            attachment = await self._papers.keep(self._ref, name, data)
        replies = await self._turn(IncomingMessage(self._ref, attachment=attachment))
        return replies, _REFUSALS.get(attachment.refused, "")

    async def press(self, button: Button) -> list[Reply]:
        """Press a button offered by the last answer."""
        return await self._turn(IncomingMessage(self._ref, payload=button.payload))

    def find(self, choice: str) -> Button | None:
        """The offered button with this payload or label (case and spacing ignored)."""
        wanted = " ".join(choice.split()).casefold()
        for button in self.buttons:
            if choice == button.payload or wanted == " ".join(button.label.split()).casefold():
                return button
        return None

    async def _turn(self, message: IncomingMessage) -> list[Reply]:
        async with self._turn_lock:
            replies = list(await self._handler(message))
            if replies:
                self.buttons = tuple(b for r in replies for b in r.buttons)
            self._seen = await self._newest()
            return replies

    async def run_jsonl(self, source: TextIO, out: TextIO) -> None:
        """One JSON object per input line, one JSON line per answer; bad lines get an error."""
        while line := await asyncio.to_thread(source.readline):
            if not line.strip():
                continue
            try:
                result = await self._jsonl_turn(line)
            except BadLine as exc:
                result = {"error": str(exc)}
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
            out.flush()

    async def _jsonl_turn(self, line: str) -> dict[str, Any]:
        try:
            data = json.loads(line)
        except ValueError:
            raise BadLine('not a JSON object: expected {"text": ...} or {"button": ...}') from None
        if not isinstance(data, dict) or len(data.keys() & {"text", "button", "file"}) != 1:
            raise BadLine('expected exactly one of "text", "button" or "file"')
        value = data.get("text", data.get("button", data.get("file")))
        if not isinstance(value, str) or not value.strip():
            raise BadLine('"text", "button" and "file" must be non-empty strings')
        if "file" in data:
            replies, refused = await self.send_file(value)
            result: dict[str, Any] = {"replies": _replies_json(replies)}
            return {**result, "error": refused} if refused else result
        if "text" in data:
            return {"replies": _replies_json(await self.say(value))}
        button = self.find(value) or Button(value, payload=value)
        if button.url is not None:
            return {"replies": [], "url": button.url}
        return {"replies": _replies_json(await self.press(button))}

    async def run_interactive(self, answer: Sequence[Reply] = ()) -> None:
        """Prompt, answer, show numbered buttons; a number presses its button."""
        print("Một cửa — gõ câu hỏi; gõ số để chọn nút; /quit để thoát.")
        print("Type a question; type a number to press a button; /quit to leave.\n")
        # Importing readline gives input() line editing and an in-session history (arrows).
        import readline  # noqa: F401 - imported for its side effect on input()

        width = shutil.get_terminal_size().columns
        if answer:
            print(render_text(answer, width))
        stop = asyncio.Event()
        watching = asyncio.create_task(self._show_news(stop, width))
        try:
            while True:
                try:
                    line = (await asyncio.to_thread(input, "> ")).strip()
                except EOFError:
                    print()
                    return
                if line.casefold() in QUIT:
                    return
                if not line:
                    continue
                button = self._numbered(line)
                if button is not None and button.url is not None:
                    print(f"  → {button.url}\n")
                    continue
                replies = await (self.press(button) if button else self.say(line))
                print(render_text(replies, width))
        finally:
            # Not cancelled: a read cut off inside its transaction can hang on SQLite.
            stop.set()
            await watching

    async def _show_news(self, stop: asyncio.Event, width: int) -> None:
        """Print what arrives while the citizen sits at the prompt, then the prompt again."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._news_interval)
            if not stop.is_set() and (news := await self.news()):
                print("\n" + render_text(news, width), end="> ", flush=True)

    def _numbered(self, line: str) -> Button | None:
        if line.isdigit() and 1 <= int(line) <= len(self.buttons):
            return self.buttons[int(line) - 1]
        return None


def _read_paper(given: str) -> tuple[str, int, bytes | None]:
    """(name, size, bytes) of the file at ``given``; no bytes when it is over the limit."""
    path = Path(given).expanduser()
    try:
        if not path.is_file():
            raise BadLine(f"no file at {given}")
        size = path.stat().st_size
        return path.name, size, None if size > MAX_PAPER_BYTES else path.read_bytes()
    except OSError as exc:
        raise BadLine(f"cannot read {given}: {exc.strerror or type(exc).__name__}") from None


def render_text(replies: Sequence[Reply], width: int | None = None) -> str:
    """Replies as terminal text, buttons numbered across the whole answer.

    With ``width`` each line is wrapped at word boundaries (never inside a word or a link).
    """
    lines: list[str] = []
    number = 0
    for reply in replies:
        if width is None:
            lines.append(reply.text)
        else:
            lines.extend(
                textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
                for line in reply.text.splitlines()
            )
        for button in reply.buttons:
            number += 1
            target = f" → {button.url}" if button.url else ""
            lines.append(f"  [{number}] {button.label}{target}")
        lines.append("")
    return "\n".join(lines)


def _replies_json(replies: Sequence[Reply]) -> list[dict[str, Any]]:
    return [
        {
            "text": r.text,
            "buttons": [
                {"label": b.label, "payload": b.payload, **({"url": b.url} if b.url else {})}
                for b in r.buttons
            ],
        }
        for r in replies
    ]
