"""Commune announcements, the communes each is for, and one delivery row per subscriber's app.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "announcements",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("author", sa.String(254), nullable=False),
        sa.Column("author_staff_id", sa.Integer(), nullable=True),
        sa.Column("text_vi", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=True),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_type", sa.String(32), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("provinces", JSON, nullable=False),
        at("send_at"),
        sa.Column("state", sa.String(16), nullable=False),
        at("created_at"),
        at("started_at", nullable=True),
        at("finished_at", nullable=True),
        at("updated_at"),
        sa.ForeignKeyConstraint(
            ["author_staff_id"],
            ["staff.id"],
            name="fk_announcements_author_staff_id_staff",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_index("ix_announcements_state_send_at", "announcements", ["state", "send_at"])
    op.create_table(
        "announcement_targets",
        sa.Column("announcement_id", BIG_ID, nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name="fk_announcement_targets_announcement_id_announcements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("announcement_id", "commune_code", name="pk_announcement_targets"),
    )
    op.create_index(
        "ix_announcement_targets_commune_code", "announcement_targets", ["commune_code"]
    )
    op.create_table(
        "announcement_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("announcement_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(16), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        at("due_at"),
        sa.Column("claimed_by", sa.String(32), nullable=True),
        at("claimed_at", nullable=True),
        at("sent_at", nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        at("updated_at"),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name="fk_announcement_deliveries_announcement_id_announcements",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_announcement_deliveries"),
        sa.UniqueConstraint(
            "announcement_id",
            "channel",
            "user_id",
            name="uq_announcement_deliveries_announcement_id_channel_user_id",
        ),
    )
    op.create_index(
        "ix_announcement_deliveries_state_due_at", "announcement_deliveries", ["state", "due_at"]
    )
    op.create_index(
        "ix_announcement_deliveries_channel_user_id",
        "announcement_deliveries",
        ["channel", "user_id"],
    )


def downgrade() -> None:
    op.drop_table("announcement_deliveries")
    op.drop_table("announcement_targets")
    op.drop_table("announcements")
