"""Members of the community digital-technology groups: requests from the chat, and decisions.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "volunteers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("full_name", sa.String(300), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        at("requested_at"),
        at("decided_at", nullable=True),
        sa.Column("decided_by", sa.String(254), nullable=True),
        at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_volunteers"),
        sa.UniqueConstraint("channel", "user_id", name="uq_volunteers_channel_user_id"),
    )
    op.create_index("ix_volunteers_status", "volunteers", ["status"])
    op.create_index("ix_volunteers_updated_at", "volunteers", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_volunteers_updated_at", "volunteers")
    op.drop_index("ix_volunteers_status", "volunteers")
    op.drop_table("volunteers")
