"""Whether a database is already at the code's newest migration, told without Alembic.

A serving worker asks on every start: when the answer is yes it need not start the process
that loads Alembic and the migration scripts (``bot.server.prepare_apart``), about 0.6 s of
CPU a start. The commands that prepare the database themselves (``motcua chat``, ``staff``,
``announce``) ask first too, and load Alembic only for a database that is behind. Every
revision is numbered as its file is (``0026_inbox_sent.py`` is revision "0026");
``tests/storage/test_schema.py`` checks that against Alembic's own head.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.storage.database import Database, sqlite_file

log = logging.getLogger(__name__)

VERSIONS = Path(__file__).parent / "migrations" / "versions"


def shipped_head() -> str:
    """The newest migration's revision, from the migration files' names."""
    return max(path.name[:4] for path in VERSIONS.glob("[0-9][0-9][0-9][0-9]_*.py"))


async def at_head(url: str) -> bool:
    """True when the database at ``url`` says it is at the newest migration.

    Anything else, a database that cannot be asked included, is False: the process that runs
    the migrations is then started, and it says what is wrong.
    """
    path = sqlite_file(make_url(url))
    if path is not None and not path.exists():
        return False
    try:
        async with Database(url) as database, database.engine.connect() as connection:
            found = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return found.scalar_one_or_none() == shipped_head()
    except (OSError, SQLAlchemyError):
        return False


async def prepare_database(url: str) -> None:
    """Migrate a SQLite file by itself; a shared database is migrated by ``motcua db upgrade``.

    Several workers starting together must not race to migrate PostgreSQL, so there a schema
    behind the code is only reported. Alembic is imported only past the first check: at the
    newest migration, as a database is on every start but its first, a command never loads it
    and the migration scripts (``tests/test_lazy_imports.py``).
    """
    if await at_head(url):
        return
    from bot.storage.schema import current_revision, ensure_schema, head_revision

    if sqlite_file(make_url(url)) is not None:
        await ensure_schema(url)
    elif await current_revision(url) != head_revision():
        log.warning("database schema is not up to date: run `motcua db upgrade`")
