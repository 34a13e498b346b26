"""The staff console: accounts, server-side sessions, the audit log, handoffs to staff,
each commune's local information, and the commune a dossier was filed from.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("communes", JSON, nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        at("locked_until", nullable=True),
        at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_staff"),
        sa.UniqueConstraint("email", name="uq_staff_email"),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        at("created_at"),
        at("expires_at"),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name="fk_staff_sessions_staff_id_staff", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name="pk_staff_sessions"),
    )
    op.create_index("ix_staff_sessions_staff_id", "staff_sessions", ["staff_id"])
    op.create_index("ix_staff_sessions_expires_at", "staff_sessions", ["expires_at"])
    op.create_table(
        "staff_audit",
        sa.Column("id", BIG_ID, nullable=False),
        at("at"),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("staff_email", sa.String(254), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("target", sa.String(128), nullable=True),
        sa.Column("commune", sa.String(32), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_staff_audit"),
    )
    op.create_index("ix_staff_audit_at", "staff_audit", ["at"])
    op.create_table(
        "handoffs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("commune", sa.String(32), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("claimed_by", sa.Integer(), nullable=True),
        at("requested_at"),
        at("claimed_at", nullable=True),
        at("first_answer_at", nullable=True),
        at("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(16), nullable=True),
        at("updated_at"),
        sa.ForeignKeyConstraint(
            ["claimed_by"], ["staff.id"], name="fk_handoffs_claimed_by_staff", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_handoffs"),
    )
    op.create_index("ix_handoffs_status_commune", "handoffs", ["status", "commune"])
    op.create_index(
        "ix_handoffs_channel_user_id_status", "handoffs", ["channel", "user_id", "status"]
    )
    op.create_index("ix_handoffs_updated_at", "handoffs", ["updated_at"])
    op.create_table(
        "commune_info",
        sa.Column("commune", sa.String(32), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(64), nullable=False),
        sa.Column("days", sa.String(7), nullable=False),
        sa.Column("opens", sa.String(5), nullable=False),
        sa.Column("closes", sa.String(5), nullable=False),
        sa.Column("map_url", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        at("updated_at"),
        sa.PrimaryKeyConstraint("commune", name="pk_commune_info"),
    )


    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("commune", sa.String(32), nullable=True))
        batch.create_index("ix_dossiers_commune", ["commune"])


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_commune")
        batch.drop_column("commune")
    op.drop_table("commune_info")
    op.drop_index("ix_handoffs_updated_at", table_name="handoffs")
    op.drop_index("ix_handoffs_channel_user_id_status", table_name="handoffs")
    op.drop_index("ix_handoffs_status_commune", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_index("ix_staff_audit_at", table_name="staff_audit")
    op.drop_table("staff_audit")
    op.drop_index("ix_staff_sessions_expires_at", table_name="staff_sessions")
    op.drop_index("ix_staff_sessions_staff_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
