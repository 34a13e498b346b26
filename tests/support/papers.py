"""Files a citizen sends in tests: a real-looking photo, a PDF, a program renamed ``.jpg``, and
what the sandbox portal kept of the papers attached to a dossier."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import func, select

from bot.app import App
from bot.storage.tables import PaperRow
from support.waiting import eventually

JPEG = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) * 8
)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 1024
"""A Windows program's first bytes: refused whatever its name says."""

FORTY_MB = 40 * 1024 * 1024

RESIDENCE_ANSWERS = (
    "Trần Văn Bình",
    "079195012345",
    "0912 345 678",
    "12 Lê Lợi, phường Bến Thành, TP Hồ Chí Minh",
    "45 Nguyễn Huệ, phường Sài Gòn, TP Hồ Chí Minh",
    "01/11/2026",
)
"""A temporary residence registration's answers, up to its last (optional) question."""


class LabelledChat(Protocol):
    """A citizen on an app whose buttons are tapped by their label (Telegram, Zalo)."""

    async def say(self, text: str) -> Any: ...

    async def tap(self, label: str) -> Any: ...


async def answer_the_residence_form(chat: LabelledChat) -> None:
    """From the menu to the delivery question of a temporary residence registration for
    oneself: consent, every answer, the optional last one skipped."""
    for label in ("Nộp hồ sơ", "Đăng ký tạm trú", "Tôi đồng ý"):
        await chat.tap(label)
    for typed in RESIDENCE_ANSWERS:
        await chat.say(typed)
    await chat.tap("Bỏ qua")


PROOF = "Giấy tờ chứng minh chỗ ở hợp pháp (ví dụ hợp đồng thuê nhà)"
"""Its paper, as the portal names it."""


async def attached(app: App, code: str) -> list[tuple[str, str, int]]:
    """(document name, type, size) of every file the in-process sandbox keeps for ``code``."""
    sandbox = app.portal.sandbox
    assert sandbox is not None, "the sandbox runs in-process"
    query = "SELECT document_name, content_type, size FROM attachments WHERE code = ? ORDER BY id"
    async with sandbox.store.db.execute(query, (code,)) as cursor:
        return [(str(r[0]), str(r[1]), int(r[2])) for r in await cursor.fetchall()]


async def kept_papers(app: App) -> int:
    """How many citizens' files motcua still keeps."""
    async with app.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(PaperRow)) or 0)


async def sent_to_portal(app: App, code: str, count: int) -> list[tuple[str, str, int]]:
    """What the sandbox keeps for ``code`` once it holds ``count`` files and motcua keeps none.

    Waited for, not looked at once: the app's own filing loop may be sending the papers just
    as the test's round runs, and that round then finds nothing left to do.
    """

    async def sent() -> bool:
        await app.dossiers.run_once()
        return len(await attached(app, code)) >= count and await kept_papers(app) == 0

    await eventually(sent, within=20)
    return await attached(app, code)
