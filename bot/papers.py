"""The papers citizens send: fetched from their platform, judged by their bytes, kept.

A file enters the dialogs only as an ``Attachment`` this module has settled: ``paper`` set
when it was kept, ``refused`` when it is too big, of a type the portal does not take (read
from its first bytes, never from its name), or could not be fetched. Platforms that announce
a file's size get a file over the limit refused before it is downloaded; the others are
downloaded only up to the limit.

Channels whose platforms send files by reference (Telegram's ``getFile``, the URLs in Zalo's
and Messenger's events) implement ``FileSource``; the web chat and the terminal hand over the
bytes themselves through :meth:`Papers.keep`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

from bot.storage.database import Database
from bot.storage.papers import SqlPapers
from dialogs.errors import FileTooBig, FileUnavailable
from dialogs.messages import Attachment, ConversationRef, IncomingMessage
from dialogs.ports import MAX_PAPER_BYTES, PAPER_MAGIC, Channel, Clock, FileSource

logger = logging.getLogger(__name__)

_EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}


def sniff(data: bytes) -> str | None:
    """The portal's type for these bytes (JPEG, PNG or PDF), or None for anything else."""
    return next((kind for kind, magic in PAPER_MAGIC.items() if data.startswith(magic)), None)


class Papers:
    """The ``PaperStore`` port, and the step that settles a message's attachment."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        channels: Mapping[str, Channel],
        limit: int = MAX_PAPER_BYTES,
    ) -> None:
        """Wire it; ``channels`` are looked up when a file arrives (they are built later)."""
        self._database = database
        self._clock = clock
        self._channels = channels
        self.limit = limit

    async def keep(self, ref: ConversationRef, name: str, data: bytes) -> Attachment:
        """Check and keep bytes handed over whole (the web chat, the terminal)."""
        return await self._settle(ref, None, Attachment(_kind(data), name=name), data)

    async def settle(self, message: IncomingMessage) -> IncomingMessage:
        """The message with its attachment fetched, checked and kept (or refused)."""
        attachment = message.attachment
        if attachment is None or attachment.paper is not None or attachment.refused:
            return message
        source = None
        if message.message_id is not None:
            source = f"{message.ref.channel}:{message.message_id}"
            async with self._database.transaction() as session:
                kept = await SqlPapers(session).by_source(source)
            if kept is not None:  # the turn is run again: the file was kept the first time
                settled = replace(attachment, paper=kept.id, content_type=kept.content_type)
                return replace(message, attachment=settled)
        channel = self._channels.get(message.ref.channel)
        try:
            if not isinstance(channel, FileSource):
                raise FileUnavailable(f"{message.ref.channel} does not fetch files")
            data = await channel.download(attachment, self.limit)
        except FileTooBig:
            return replace(message, attachment=replace(attachment, refused="too_big"))
        except FileUnavailable as error:
            logger.warning("a file could not be fetched from %s: %s", message.ref.channel, error)
            return replace(message, attachment=replace(attachment, refused="unreadable"))
        settled = await self._settle(message.ref, source, attachment, data)
        return replace(message, attachment=settled)

    async def _settle(
        self, ref: ConversationRef, source: str | None, attachment: Attachment, data: bytes
    ) -> Attachment:
        if len(data) > self.limit:
            return replace(attachment, refused="too_big")
        content_type = sniff(data)
        if content_type is None:
            return replace(attachment, refused="wrong_type")
        name = attachment.name or f"{attachment.kind}{_EXTENSIONS[content_type]}"
        async with self._database.transaction() as session:
            paper = await SqlPapers(session).keep(
                ref, source, name, content_type, data, self._clock.now()
            )
        return replace(attachment, paper=paper, content_type=content_type, size=len(data))


def _kind(data: bytes) -> str:
    return "image" if sniff(data) in ("image/jpeg", "image/png") else "file"
