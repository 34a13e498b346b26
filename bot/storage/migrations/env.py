"""Alembic environment: runs on the connection handed over by ``bot.storage.schema``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from bot.storage.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `motcua db upgrade` (bot.storage.schema)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    if connection.dialect.name == "postgresql":
        # Several workers may start at once; only one of them migrates at a time.
        connection.execute(text("SELECT pg_advisory_xact_lock(7470130)"))
    context.run_migrations()
