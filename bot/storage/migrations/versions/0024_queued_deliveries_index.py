"""Announcement deliveries: index only the queued ones, by channel and due time.

The index on (state, due_at) held every delivery ever made. Without statistics (a fan-out has
just added 100,000 rows) SQLite and PostgreSQL took its ``state = 'queued'`` as selective and
used it for the claim's and the settling's statements by id as well, reading every queued
delivery of the broadcast for each group of 50 (most of the sending CPU at 100,000
subscribers). A partial index on the queued rows alone serves the claim in its own order
(channel, then due time) and is never a choice for a statement that names its rows by id.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = sa.text("state = 'queued'")


def upgrade() -> None:
    op.drop_index("ix_announcement_deliveries_state_due_at", table_name="announcement_deliveries")
    op.create_index(
        "ix_announcement_deliveries_queued",
        "announcement_deliveries",
        ["channel", "due_at"],
        sqlite_where=QUEUED,
        postgresql_where=QUEUED,
    )


def downgrade() -> None:
    op.drop_index("ix_announcement_deliveries_queued", table_name="announcement_deliveries")
    op.create_index(
        "ix_announcement_deliveries_state_due_at", "announcement_deliveries", ["state", "due_at"]
    )
