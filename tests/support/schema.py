"""Migrated databases for tests, without running every migration again for each fresh file.

Applying all of Alembic's revisions to a new SQLite file takes a noticeable fraction of a
second, and hundreds of tests start on one. The first fresh file in a process is migrated for
real; every later one is a byte copy of it, which is what the migrations would have written.
The migrations themselves stay tested where they are the subject (``tests/storage/test_schema``
migrates fresh files, and checks the migrated schema against the models on both databases).
"""

from __future__ import annotations

import asyncio
import atexit
import shutil
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.storage.database import sqlite_file
from bot.storage.schema import ensure_schema

_templates: list[Path] = []
"""The migrated file this process copies (empty until the first fresh file is asked for)."""


async def migrated(url: str) -> None:
    """Bring the database at ``url`` to the newest schema, as ``ensure_schema`` does."""
    path = sqlite_file(make_url(url))
    if path is None or path.exists():
        await ensure_schema(url)
        return
    template = _templates[0] if _templates else await _migrated_template()
    await asyncio.to_thread(shutil.copyfile, template, path)


async def _migrated_template() -> Path:
    """A SQLite file migrated to the head revision, kept until the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="motcua-schema-"))
    atexit.register(shutil.rmtree, folder, True)
    template = folder / "head.sqlite3"
    await ensure_schema(f"sqlite+aiosqlite:///{template.as_posix()}")
    # Closing the last connection checkpoints the write-ahead log into the file itself, so
    # the file alone is the whole database; a leftover log would make copies lose tables.
    assert not template.with_name(template.name + "-wal").exists()
    _templates.append(template)
    return template
