"""What the dialogs learn when a citizen opens "Commune announcements": the commune they chose
and its latest announcements, a page at a time, newest first (``ShowCommune``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.announcements.store import SqlAnnouncements
from bot.storage.subscriptions import SqlSubscriptions
from dialogs.messages import ConversationRef

PAGE = 3
"""Announcements shown at once: a phone screen of recent news, the rest behind a button."""


async def facts(
    session: AsyncSession, ref: ConversationRef, page: int, now: datetime
) -> dict[str, Any]:
    """The facts of the internal ``nw:mine`` answering ``ShowCommune(page)``."""
    chosen = await SqlSubscriptions(session).commune_of(ref)
    if chosen is None:
        return {"commune": None}
    # One more than the page holds says whether older ones are left.
    latest = await SqlAnnouncements(session).latest_for_commune(
        chosen.code, (page + 1) * PAGE + 1, now
    )
    shown = latest[page * PAGE : (page + 1) * PAGE]
    return {
        "commune": chosen.code,
        "page": page,
        "news": [
            {"at": a.send_at.isoformat(), "vi": a.text_vi, "en": a.text_en, "link": a.link}
            for a in shown
        ],
        "older": len(latest) > (page + 1) * PAGE,
    }
