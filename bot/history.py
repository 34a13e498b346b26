"""The message log read back as a conversation: the web page's history, the terminal's buttons.

The dispatcher logs every message in and out; this turns those rows into what a user saw:
their own words, a pressed button shown by its label, and each reply with its buttons
(reminders included: the dispatcher logs their replies, not their trigger). A logged payload
that matches no button offered just before it (a forged or stale press) was not something the
user did on screen, so it is left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.storage.database import Database
from bot.storage.message_log import Direction, LoggedMessage, SqlMessageLog, pressed_labels
from dialogs.messages import ConversationRef, Reply
from integrations.webchat import Entry

# How many logged messages are read to rebuild a conversation.
WINDOW = 300


class LogHistory:
    """One channel's conversations as recorded in the message log (the ``History`` port)."""

    def __init__(self, database: Database, channel: str) -> None:
        self._database = database
        self._channel = channel

    async def since(self, user: str, after: int, limit: int) -> list[Entry]:
        """Entries with ``seq`` above ``after``, oldest first; at most the last ``limit``."""
        async with self._database.transaction() as session:
            logged = await SqlMessageLog(session).history(
                ConversationRef(self._channel, user), limit=max(WINDOW, limit)
            )
        entries = [e for e in as_entries(logged) if e.seq > after]
        return entries[-limit:] if limit > 0 else []

    async def latest_answer(self, user: str) -> list[Entry]:
        """The replies after the user's last message (a reminder may have added some)."""
        entries = await self.since(user, 0, WINDOW)
        last_user = max((i for i, e in enumerate(entries) if e.role == "user"), default=-1)
        return entries[last_user + 1 :]


class LoggedOnlyChannel:
    """A channel whose user reads the message log (the terminal): ``send`` has nothing to do.

    Replies to a reminder, a dossier's notices and staff answers are logged by the dispatcher;
    ``motcua chat`` shows them at its prompt as they arrive, or when the user comes back.
    """

    def __init__(self, name: str) -> None:
        self.name = name

    async def send(self, ref: ConversationRef, replies: Sequence[Reply]) -> None:
        """Nothing to deliver: the replies are already in the message log."""


def as_entries(logged: Sequence[LoggedMessage]) -> list[Entry]:
    """Logged messages as the user saw them, in order; ``seq`` is the log's id."""
    labels = pressed_labels(logged)
    entries: list[Entry] = []
    for message in logged:
        if message.direction is Direction.OUT:
            entries.append(
                Entry(message.id, "bot", message.text or "", message.buttons, message.strong)
            )
        elif message.text is not None:
            entries.append(Entry(message.id, "user", message.text))
        elif message.id in labels:
            entries.append(Entry(message.id, "user", labels[message.id]))
    return entries
