"""SQL statements a worker runs per answered Telegram message, and which.

``python -m bench.statements`` serves motcua in this process (SQLite, the whole knowledge base,
Telegram on the fake Bot API by webhook), has ``--users`` citizens each ask a first question,
then counts the statements of a second question each (a returning citizen, the common case)
and prints them per message, most frequent first. Each statement is a round trip to the
database and a pass through SQLAlchemy, the largest part of a turn's CPU
(``bench/throughput-profile.md``). With ``--long`` the second question is pasted long, past the
characters searched, so its answer is two Telegram messages (a notice, then the answer): what
a reply of several messages adds, the record of each acceptance but the last.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import socket
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from sqlalchemy import event

from bench.throughput import motcua_env
from bench.web_roundtrip import QUESTIONS
from bot.app import App, build_app
from bot.config import Settings
from bot.server import web_application
from bot.storage.schema_head import prepare_database
from dialogs.text import MAX_QUERY_CHARS
from tests.fakes.telegram import FakeTelegram, FakeUser


@asynccontextmanager
async def serving(telegram: FakeTelegram, data_dir: str) -> AsyncIterator[App]:
    """motcua on a new SQLite file, its webhook registered with the fake."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        public = f"http://127.0.0.1:{listener.getsockname()[1]}"
        env = {**motcua_env(telegram, public), "MOTCUA_DATA_DIR": data_dir}
        settings = Settings.from_env({**env, "MOTCUA_PORTAL_SANDBOX_PORT": "0"})
        await prepare_database(settings.database_url)
        async with build_app(settings) as app:
            runner = web.AppRunner(web_application(app), handle_signals=False)
            await runner.setup()
            await web.SockSite(runner, listener).start()
            try:
                yield app
            finally:
                await runner.cleanup()


async def ask(
    telegram: FakeTelegram, users: Sequence[FakeUser], questions: Any, messages: int = 1
) -> None:
    """Each user asks one question; returns once every one has ``messages`` more."""
    before = [len(user.messages) for user in users]
    for user in users:
        user.send(next(questions))
    await telegram.wait_for(
        lambda: all(len(u.messages) >= n + messages for u, n in zip(users, before, strict=True)),
        within=120,
    )
    await asyncio.sleep(1.0)  # the inbox marks each message answered after its reply


def pasted_long(question: str) -> str:
    """The question said over and over, past the characters a question is searched by."""
    return " ".join([question] * (MAX_QUERY_CHARS // len(question) + 2))


async def main(argv: Sequence[str] | None = None) -> None:
    """Count and print."""
    parser = argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__)
    parser.add_argument("--users", type=int, default=20, help="citizens asking")
    parser.add_argument(
        "--long", action="store_true", help="the second question pasted long: two messages"
    )
    args = parser.parse_args(argv)
    seen: Counter[str] = Counter()
    questions = itertools.cycle(QUESTIONS)
    with tempfile.TemporaryDirectory(prefix="motcua-statements-") as data:
        async with FakeTelegram() as telegram, serving(telegram, data) as app:
            users = [telegram.user(6_000_000 + n) for n in range(args.users)]
            await ask(telegram, users, questions)

            def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
                seen[" ".join(statement.split())[:100]] += 1

            event.listen(app.database.engine.sync_engine, "before_cursor_execute", count)
            if args.long:
                await ask(telegram, users, map(pasted_long, questions), messages=2)
            else:
                await ask(telegram, users, questions)
    print(f"SQL statements per answered message: {sum(seen.values()) / args.users:.1f}")
    for statement, times in seen.most_common():
        print(f"{times / args.users:5.2f}  {statement}")


if __name__ == "__main__":
    asyncio.run(main())
