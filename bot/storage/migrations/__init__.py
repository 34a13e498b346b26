"""Alembic migration environment and revisions (a package so it ships when installed)."""
