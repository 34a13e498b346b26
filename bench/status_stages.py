"""What a status change costs motcua, stage by stage, without HTTP and without the portal.

``python -m bench.status_push`` measures the whole path, the portal's webhooks over HTTP
included, and its CPU a dossier moves by a fifth from one run to the next on a busy machine.
This one measures the two stages motcua runs for every change, one after the other, in one
process and on one core's worth of work: the app built as ``motcua serve`` builds it (SQLite,
start-up settled), ``--dossiers`` dossiers filed, then in rounds of ``--burst`` (the sandbox
portal sends 32 webhooks at a time):

* **events**: the round's portal events handed to the inbox at once, as the webhook receiver
  hands them over (``DurableInbox.accept``), until each is applied (``DurableInbox.join``): the
  change recorded and the notice queued;
* **notices**: the outbox's round (``ReminderWorker.run_once``): the notices claimed, rendered
  through the dialogs, stored, handed to the channel (a recording stand-in) and marked done.

The process's CPU time of each stage, divided by the changes, after ``--warm`` rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.portal import PortalEvent, event_message
from bot.server import settle_start_up
from bot.storage.dossiers import SqlDossiers
from bot.storage.schema import ensure_schema
from dialogs.messages import ConversationRef, Reply
from tests.support.received import dossier_code, file_received


class Channel:
    """The web channel's stand-in: counts what it is handed."""

    name = "web"

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, _ref: ConversationRef, _replies: Sequence[Reply]) -> None:
        """Take the message, as a platform without a rate limit would."""
        self.sent += 1


async def measure(rounds: int, burst: int, warm: int) -> dict[str, float]:
    """µs of CPU a change in each stage, over the rounds after the first ``warm``."""
    folder = Path(tempfile.mkdtemp())
    settings = Settings.from_env(
        {"MOTCUA_DATA_DIR": str(folder), "MOTCUA_PORTAL_SANDBOX_PORT": "0"}
    )
    await ensure_schema(settings.database_url)
    async with build_app(settings) as app:
        settle_start_up()
        channel = Channel()
        app.channels["web"] = channel
        clock = app.clock
        async with app.database.transaction() as session:
            refs = (ConversationRef("web", f"citizen-{n:05d}") for n in range(rounds * burst))
            await file_received(SqlDossiers(session), refs, clock.now(), date(2026, 12, 21))
        at = clock.now().isoformat()
        spent = {"events": 0.0, "notices": 0.0}
        for r in range(rounds):
            events = [
                PortalEvent(f"ev-{r}-{i}", dossier_code(r * burst + i), "accepted", "", at)
                for i in range(burst)
            ]
            started = time.process_time()
            await asyncio.gather(*(app.inbox.accept(event_message(e, clock)) for e in events))
            await app.inbox.join()
            applied = time.process_time()
            delivered = await app.reminders.run_once()
            finished = time.process_time()
            if delivered != burst:
                raise RuntimeError(f"round {r}: {delivered} notices of {burst} delivered")
            if r >= warm:
                spent["events"] += applied - started
                spent["notices"] += finished - applied
        changes = (rounds - warm) * burst
        return {stage: 1e6 * cpu / changes for stage, cpu in spent.items()}


async def main(argv: Sequence[str] | None = None) -> None:
    """Run the rounds and print one line of figures."""
    parser = argparse.ArgumentParser(prog="python -m bench.status_stages", description=__doc__)
    parser.add_argument("--rounds", type=int, default=30, help="rounds of changes")
    parser.add_argument("--burst", type=int, default=33, help="changes a round")
    parser.add_argument("--warm", type=int, default=5, help="first rounds not counted")
    args = parser.parse_args(argv)
    figures = await measure(args.rounds, args.burst, args.warm)
    print(
        f"{args.burst} status changes a round, {args.rounds - args.warm} rounds counted: "
        f"events kept and applied {figures['events']:.0f} µs of CPU a change, "
        f"notices claimed, rendered, sent and marked done {figures['notices']:.0f} µs, "
        f"together {sum(figures.values()):.0f} µs"
    )


if __name__ == "__main__":
    asyncio.run(main())
