"""Persistence: SQLAlchemy 2 async models, repositories returning dataclasses, Alembic migrations.

One ``AsyncSession`` per unit of work (``Database.transaction()``); repositories take that
session and never hand ORM rows to their callers.
"""
