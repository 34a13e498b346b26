"""Reminders by conversation: each citizen's message finds its held reminders without a scan.

A reminder refused because the channel's window closed is kept with status ``held`` (the column
already allows it) and handed over with the citizen's next message.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_reminders_channel_user_id_status", "reminders", ["channel", "user_id", "status"]
    )


def downgrade() -> None:
    op.drop_index("ix_reminders_channel_user_id_status", table_name="reminders")
