"""The one check of a new announcement, shared by ``motcua announce`` and the staff console.

Everything that can be wrong with what staff wrote is found here, before anything is stored,
and said back in the author's language, by field, so the console shows each reason beside its
field and the command prints them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.storage.staff import Role, Staff
from knowledge.communes.units import Commune, closest_codes, commune, communes_of, province, search

MAX_TEXT = 2000
"""Characters in one language's text: what Messenger and Zalo take in one message (Telegram
takes 4096), so every channel shows an announcement as one message."""

MAX_IMAGE_BYTES = 1024 * 1024
"""Zalo OA takes pictures of at most 1 MB (Telegram 10 MB, Messenger 25 MB): the smallest
limit, so one picture goes to every channel."""

IMAGE_TYPES: dict[bytes, str] = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
"""The formats every platform shows as a picture, by their first bytes: a file's name or the
type a browser claims says nothing about what it holds. Two signatures need no library."""

MAX_LINK = 2000

PAST_TOLERANCE = timedelta(minutes=1)
"""A time this little in the past is "now": the author's clock and typing take a moment."""

COMMAND_LINE = "motcua announce"
"""The author of announcements made with the command, which may address any commune."""


@dataclass(frozen=True, slots=True)
class Author:
    """Who writes an announcement, and which communes they may address (None: any)."""

    name: str
    staff_id: int | None = None
    communes: frozenset[int] | None = None

    @classmethod
    def of(cls, staff: Staff) -> Author:
        """A console account: an admin addresses any commune, staff their own."""
        scope = None if staff.role is Role.ADMIN else frozenset(int(c) for c in staff.communes)
        return cls(staff.email, staff.id, scope)

    @classmethod
    def command_line(cls) -> Author:
        """``motcua announce``: whoever may run it already holds the whole database."""
        return cls(COMMAND_LINE)

    @property
    def any_commune(self) -> bool:
        """Whether this author may address every commune and whole provinces."""
        return self.communes is None


@dataclass(frozen=True, slots=True)
class Draft:
    """What an author filled in, as typed (codes are text: a mistyped one is answered)."""

    text_vi: str
    text_en: str | None = None
    image: bytes | None = None
    link: str | None = None
    communes: Sequence[str] = ()
    provinces: Sequence[str] = ()
    send_at: datetime | None = None
    """When to send it (time-zone aware); None sends it now."""


@dataclass(frozen=True, slots=True)
class Composed:
    """A checked announcement, ready to be stored; a province is expanded into its communes."""

    text_vi: str
    text_en: str | None
    image: bytes | None
    image_type: str | None
    link: str | None
    communes: tuple[int, ...]
    provinces: tuple[int, ...]
    send_at: datetime


@dataclass
class Refused(Exception):
    """The announcement cannot be sent as it is; ``reasons`` maps a field to what is wrong."""

    reasons: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return " ".join(self.reasons.values())


def image_type(data: bytes) -> str | None:
    """The picture's MIME type, read from its first bytes; None for anything else."""
    return next((kind for magic, kind in IMAGE_TYPES.items() if data.startswith(magic)), None)


def compose(draft: Draft, author: Author, now: datetime, _: Callable[[str], str]) -> Composed:
    """Check ``draft`` written by ``author`` at ``now``; raise ``Refused`` with every reason.

    ``_`` translates into the author's language (English message ids).
    """
    reasons: dict[str, str] = {}
    text_vi = draft.text_vi.strip()
    text_en = (draft.text_en or "").strip() or None
    if not text_vi:
        reasons["text_vi"] = _("Write the announcement's text in Vietnamese.")
    elif len(text_vi) > MAX_TEXT:
        reasons["text_vi"] = _too_long(text_vi, _)
    if text_en is not None and len(text_en) > MAX_TEXT:
        reasons["text_en"] = _too_long(text_en, _)
    kind = None
    if draft.image is not None:
        kind = image_type(draft.image)
        if kind is None:
            reasons["image"] = _("The picture must be a JPEG or PNG image.")
        elif len(draft.image) > MAX_IMAGE_BYTES:
            reasons["image"] = _(
                "The picture is {size} KB; the chat apps take at most {limit} KB."
            ).format(size=-(-len(draft.image) // 1024), limit=MAX_IMAGE_BYTES // 1024)
    link = (draft.link or "").strip() or None
    if link is not None and not _is_web_address(link):
        reasons["link"] = _("The link must be a web address starting with https:// or http://.")
    send_at = draft.send_at or now
    if send_at.tzinfo is None:
        reasons["send_at"] = _("Give the sending time with its time zone.")
    elif send_at < now - PAST_TOLERANCE:
        reasons["send_at"] = _("The sending time has passed; choose a later time or send now.")
    communes, provinces = _targets(draft, author, reasons, _)
    if reasons:
        raise Refused(reasons)
    return Composed(
        text_vi, text_en, draft.image, kind, link, communes, provinces, max(send_at, now)
    )


def _too_long(text: str, _: Callable[[str], str]) -> str:
    return _("The text has {length} characters; at most {limit} fit in one message.").format(
        length=len(text), limit=MAX_TEXT
    )


def _is_web_address(link: str) -> bool:
    if len(link) > MAX_LINK or any(c.isspace() for c in link):
        return False
    try:
        parts = urlsplit(link)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _targets(
    draft: Draft, author: Author, reasons: dict[str, str], _: Callable[[str], str]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The communes addressed (provinces expanded) and the provinces named, or reasons why not."""
    chosen: dict[int, None] = {}
    unknown: list[str] = []
    outside: list[str] = []
    for typed in (code.strip() for code in draft.communes if code.strip()):
        unit = commune(int(typed)) if typed.isdigit() else None
        if unit is None:
            unknown.append(_unknown(typed, _))
        elif author.communes is not None and unit.code not in author.communes:
            outside.append(f"{unit.code:05d} ({unit.label})")
        else:
            chosen[unit.code] = None
    provinces: dict[int, None] = {}
    for typed in (code.strip() for code in draft.provinces if code.strip()):
        found = province(int(typed)) if typed.isdigit() else None
        if found is None:
            unknown.append(_("No province has the code {code}.").format(code=typed))
        elif not author.any_commune:
            reasons["provinces"] = _("Only an admin may address a whole province.")
        else:
            provinces[found.code] = None
            chosen.update(dict.fromkeys(unit.code for unit in communes_of(found.code)))
    if unknown:
        reasons["communes"] = " ".join(unknown)
    elif outside:
        reasons["communes"] = _("You may only address your own communes, not: {codes}.").format(
            codes=", ".join(outside)
        )
    elif not chosen and "provinces" not in reasons:
        reasons["communes"] = _("Choose at least one commune or province.")
    return tuple(chosen), tuple(provinces)


def _unknown(typed: str, _: Callable[[str], str]) -> str:
    """No commune has this code: say so, with the closest codes (or names) there are."""
    close: Sequence[Commune] = (
        closest_codes(typed) if typed.isdigit() else search(typed, limit=3).communes
    )
    if not close:
        return _("No commune has the code {code}.").format(code=typed)
    return _("No commune has the code {code}; did you mean {matches}?").format(
        code=typed, matches=", ".join(f"{unit.code:05d} ({unit.label})" for unit in close)
    )
