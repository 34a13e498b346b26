"""The durable inbox: every incoming message is stored before the platform is answered.

Its unique (channel, message id) is the chat platforms' deduplication key, so a message is
never marked seen without being kept for processing (``processed_messages`` stays for webhooks
whose effects are applied within the request, such as the portal's).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "inbox",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("message", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        at("lease_until", nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("replies", JSON, nullable=True),
        at("accepted_at"),
        at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("channel", "message_id", name="uq_inbox_channel_message_id"),
    )
    op.create_index("ix_inbox_channel_user_id_id", "inbox", ["channel", "user_id", "id"])
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"])
    op.create_index("ix_inbox_updated_at", "inbox", ["updated_at"])

def downgrade() -> None:
    op.drop_index("ix_inbox_updated_at", table_name="inbox")
    op.drop_index("ix_inbox_status_id", table_name="inbox")
    op.drop_index("ix_inbox_channel_user_id_id", table_name="inbox")
    op.drop_table("inbox")
