"""Link-code guessing: how fast an attacker guesses through the web chat, and what it buys.

``python -m bench.link_guessing`` serves the real application (shipped knowledge base,
dialogs, SQLite) on a local port, lets a citizen get a link code in the web chat, then lets an
attacker guess codes as fast as it can for ``--seconds``: every guess from a new web-chat
identity (no cookie kept), and, in the botnet run, from a new client address too (the attacker
sits behind a trusted proxy and names any address it likes), the botnet once more typing the
code alone, without "Nhập mã" first (one request a guess). It prints the guesses a second
achieved, how many wrong guesses met the live code before it died, and the chance of a
takeover that follows, beside what the same rate gave before codes died after five wrong
guesses anywhere (about 66 a second: half the chance of taking a code in about 3 hours).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import re
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp
from sqlalchemy import select

from bench.workers import free_port
from bot.app import build_app
from bot.config import Settings
from bot.server import listening
from bot.storage.codes import CODE_DIGITS, MAX_WRONG_GUESSES
from bot.storage.identity import CODE_TTL
from bot.storage.schema_head import prepare_database
from bot.storage.tables import LinkCodeRow, LinkGuessesRow

CODES = 10**CODE_DIGITS
SHOWN = re.compile(r"(\d{3}) (\d{3})")


@dataclass(frozen=True, slots=True)
class Attack:
    """What one run of guessing achieved."""

    name: str
    guesses: int
    seconds: float
    refused: int  # answered "wait" (a rate limit) rather than checked
    linked: int  # guesses that took the code over
    at_live_code: int  # wrong guesses the citizen's code met before it died

    @property
    def rate(self) -> float:
        """Guesses a second the attacker sent and got an answer to."""
        return self.guesses / self.seconds

    @property
    def takeover(self) -> float:
        """The chance that guessing took the code: one in a million for each guess it met."""
        return min(1.0, self.at_live_code / CODES)

    @property
    def checked_rate(self) -> float:
        """Guesses a second the server compared with the live codes."""
        return (self.guesses - self.refused) / self.seconds


async def _get_code(url: str) -> str:
    """A citizen asks for a link code in the web chat; the code shown."""
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as citizen,
        citizen.post(url + "/api/chat", json={"button": "lk:get"}) as response,
    ):
        replies = (await response.json())["replies"]
    found = SHOWN.search(replies[0]["text"])
    if found is None:
        raise SystemExit("the web chat showed no link code")
    return found.group(1) + found.group(2)


async def _guess(
    session: aiohttp.ClientSession, url: str, guess: str, address: str | None, *, bare: bool
) -> str:
    """One guess from a fresh identity: open the code prompt (unless the code is typed alone,
    ``bare``, which needs one request a guess, not two), type the code; the answer."""
    headers = {"X-Forwarded-For": address} if address else {}
    if not bare:
        async with session.post(
            url + "/api/chat", json={"button": "lk:enter"}, headers=headers
        ) as r:
            cookie = r.cookies.get("motcua_id")
            if r.status != 200 or cookie is None:
                return "refused"
        headers["Cookie"] = f"motcua_id={cookie.value}"
    async with session.post(url + "/api/chat", json={"text": guess}, headers=headers) as r:
        if r.status != 200:
            return "refused"
        text = (await r.json())["replies"][0]["text"]
    if text.startswith("Xong"):
        return "linked"
    return "refused" if "quá nhiều" in text else "wrong"


async def attack(
    name: str, settings: Settings, seconds: float, workers: int, *, botnet: bool, bare: bool
) -> Attack:
    """Guess for ``seconds`` with ``workers`` guessers against one live code."""
    await prepare_database(settings.database_url)
    port = free_port()
    async with build_app(settings) as app, listening(app, "127.0.0.1", port):
        url = f"http://127.0.0.1:{port}"
        await _get_code(url)  # the citizen's code, live while the attacker guesses
        counts = {"wrong": 0, "refused": 0, "linked": 0}
        start = random.randrange(CODES)
        next_guess = iter(range(start, start + CODES))
        deadline = time.perf_counter() + seconds

        async def guesser(session: aiohttp.ClientSession) -> None:
            while time.perf_counter() < deadline:
                guess = f"{next(next_guess) % CODES:0{CODE_DIGITS}d}"
                address = f"10.{random.randrange(256)}.{random.randrange(256)}.1"
                sent = address if botnet else None
                counts[await _guess(session, url, guess, sent, bare=bare)] += 1

        began = time.perf_counter()
        # No cookie jar: each guess comes from an identity the server has never seen.
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
            await asyncio.gather(*(guesser(session) for _ in range(workers)))
        elapsed = time.perf_counter() - began
        async with app.database.transaction() as db:
            wrong = await db.scalar(select(LinkGuessesRow.wrong)) or 0
            issued = (await db.scalars(select(LinkCodeRow.wrong_before))).one()
    met = min(wrong - issued, MAX_WRONG_GUESSES)
    guesses = counts["wrong"] + counts["linked"] + counts["refused"]
    return Attack(name, guesses, elapsed, counts["refused"], counts["linked"], met)


def _row(result: Attack) -> str:
    checked = result.guesses - result.refused
    return (
        f"{result.name:<38} {result.guesses:>7} {result.rate:>7.1f} {result.refused:>8} "
        f"{checked:>8} {result.checked_rate:>10.1f} {result.at_live_code:>4} "
        f"{result.takeover:>12.4%}"
    )


def _before(rate: float) -> str:
    """What ``rate`` checked guesses a second gave before codes died after five wrong guesses:
    every guess met the code, for its whole life, from any number of identities."""
    life = CODE_TTL.total_seconds()
    half = math.log(2) * CODES / rate / 3600
    return (
        f"before: {rate:.1f} checked guesses/s took a live code with probability "
        f"{min(1.0, rate * life / CODES):.2%} in its {life / 60:.0f} minutes, "
        f"half the chance of one in {half:.1f} hours of guessing"
    )


async def main(argv: Sequence[str] | None = None) -> None:
    """Run both attacks and print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.link_guessing", description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0, help="guessing time per run")
    parser.add_argument("--workers", type=int, default=8, help="guesses in flight at once")
    args = parser.parse_args(argv)

    results = []
    for name, botnet, bare in (
        ("one address, new identity per guess", False, False),
        ("new address and identity per guess", True, False),
        ("the same, code typed alone", True, True),
    ):
        with tempfile.TemporaryDirectory(prefix="motcua-bench-") as data:
            env = {"MOTCUA_DATA_DIR": data, "MOTCUA_TRUSTED_PROXIES": "127.0.0.1"}
            settings = Settings.from_env(env)
            run = attack(name, settings, args.seconds, args.workers, botnet=botnet, bare=bare)
            results.append(await run)
    print(f"link-code guessing through the web chat, {args.seconds:.0f} s per run, default limits")
    print(
        f"{'attack':<38} {'sent':>7} {'sent/s':>7} {'refused':>8} {'checked':>8} "
        f"{'checked/s':>10} {'met':>4} {'P(takeover)':>12}"
    )
    for result in results:
        print(_row(result))
    print(
        "refused: answered 'wait' by a rate limit; checked: compared with the live codes; "
        "met: wrong guesses the citizen's code met before it died; P(takeover): that many "
        f"guesses in {CODES:,} codes"
    )
    print(_before(max(result.checked_rate for result in results)))
    for result in results:
        if result.linked:
            print(f"{result.name}: {result.linked} guess took a code over")


if __name__ == "__main__":
    asyncio.run(main())
