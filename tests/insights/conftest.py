"""Fixtures for what staff learn: the storage fixtures, shared with the storage tests."""

from storage.databases import (  # noqa: F401
    clock,
    database,
    database_url,
)
