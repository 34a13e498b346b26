"""The 24-hour messaging window: when each user last reached out, kept across restarts.

Messenger lets a page answer freely for 24 hours after a user's last message; after that only
non-promotional updates with a message tag are allowed, and anything else risks the page's
standing. The last inbound time per PSID is therefore written through to a durable key-value
store, so a restarted server still knows whose window is open.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dialogs.ports import Clock, SecretStore

WINDOW = timedelta(hours=24)
KEY_PREFIX = "messenger.last_inbound."
"""Stored keys are this followed by the PSID (personal data: see ``bot.personal_data``)."""


class MessagingWindow:
    """Tracks each user's last inbound time and answers whether the window is open."""

    def __init__(self, store: SecretStore | None, clock: Clock) -> None:
        """Keep times in ``store`` when given; without one they live only in this process."""
        self._store = store
        self._clock = clock
        self._last: dict[str, datetime] = {}

    async def touch(self, psid: str, at: datetime) -> None:
        """Record a user action at ``at``; an older, late-delivered event never shrinks it."""
        last = await self.last_inbound(psid)
        if last is not None and last >= at:
            return
        self._last[psid] = at
        if self._store is not None:
            await self._store.set(KEY_PREFIX + psid, at.isoformat())

    async def last_inbound(self, psid: str) -> datetime | None:
        """When the user last reached out, or None if never (as far as we know)."""
        if psid not in self._last and self._store is not None:
            stored = await self._store.get(KEY_PREFIX + psid)
            if stored is not None:
                self._last[psid] = datetime.fromisoformat(stored)
        return self._last.get(psid)

    async def is_open(self, psid: str) -> bool:
        """Whether a free-form message may be sent now; unknown users count as closed."""
        last = await self.last_inbound(psid)
        return last is not None and self._clock.now() - last < WINDOW
