"""Portal webhook events are kept in the durable inbox like chat messages: the table of
handled ids, whose last user they were, goes.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_processed_messages_processed_at", table_name="processed_messages")
    op.drop_table("processed_messages")


def downgrade() -> None:
    op.create_table(
        "processed_messages",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("channel", "message_id", name="pk_processed_messages"),
    )
    op.create_index("ix_processed_messages_processed_at", "processed_messages", ["processed_at"])
