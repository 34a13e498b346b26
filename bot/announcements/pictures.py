"""An announcement's picture at a public address, which its message links to on every app.

The platforms' send APIs each upload pictures their own way (Telegram's multipart sendPhoto,
Messenger's attachment upload, Zalo's upload that expires after 7 days); one address every
app opens keeps the sender to one message per citizen. Only a picture whose announcement has
gone out is served: a scheduled one stays unseen until its time, a cancelled one never is.
"""

from __future__ import annotations

from aiohttp import web

from bot.announcements.store import SqlAnnouncements, State
from bot.storage.database import Database
from dialogs.ports import Clock

PATH = "/announcements/{id}/picture"


def picture_path(announcement_id: int) -> str:
    """Where the picture of ``announcement_id`` is served."""
    return PATH.format(id=announcement_id)


class Pictures:
    """The picture route, reading the announcements table."""

    def __init__(self, database: Database, clock: Clock) -> None:
        self._database = database
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        """``GET /announcements/{id}/picture``."""
        return [web.get(PATH, self._picture)]

    async def _picture(self, request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        if not raw.isdigit() or len(raw) > 18:
            raise web.HTTPNotFound()
        async with self._database.transaction() as session:
            store = SqlAnnouncements(session)
            found = await store.get(int(raw))
            sent = (
                found is not None
                and found.state in (State.SENDING, State.DONE)
                and found.send_at <= self._clock.now()
            )
            picture = await store.image(int(raw)) if sent else None
        if picture is None:
            raise web.HTTPNotFound()
        data, kind = picture
        return web.Response(
            body=data, content_type=kind, headers={"Cache-Control": "public, max-age=86400"}
        )
