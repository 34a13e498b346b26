"""Announcements already sent to a commune, as the sender leaves them, for the citizen's list."""

from __future__ import annotations

from datetime import datetime

from bot.announcements.compose import Author, Composed
from bot.announcements.store import SqlAnnouncements, SqlDeliveries
from bot.storage.database import Database


async def published(
    database: Database,
    commune: int,
    text: str,
    at: datetime,
    *,
    link: str | None = None,
    text_en: str | None = None,
) -> int:
    """An announcement to ``commune`` whose sending began at ``at`` (a time already past)."""
    composed = Composed(text, text_en, None, None, link, (commune,), (), at)
    async with database.transaction() as session:
        made = await SqlAnnouncements(session).create(composed, Author.command_line(), at)
        channels = ("web", "telegram", "zalo", "messenger")
        assert await SqlDeliveries(session).fan_out(made.id, at, channels) is not None
    return made.id
