"""Announcement fixtures: every store test runs on a SQLite file and on PostgreSQL."""

from storage.databases import (  # noqa: F401
    clock,
    database,
    database_url,
)
