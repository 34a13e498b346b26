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
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings
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


async def migrated_before_start(env: Mapping[str, str]) -> None:
    """The database a ``motcua`` process started with ``env`` will use, migrated before it starts.

    On a fresh SQLite file ``motcua serve`` would first run its migrations in a child process
    (about 0.6 s of CPU and a second of the test's time); tests about what survives a kill or a
    crash, or what a worker imports, start it on the copy of a migrated file instead, as every
    start but a deployment's first finds it. The first start's migrations are tested by
    ``tests/test_app.py`` and ``tests/test_lazy_imports.py``.
    """
    await migrated(Settings.from_env(env).database_url)


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
