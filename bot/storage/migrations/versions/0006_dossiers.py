"""Dossiers filed from the chat, and the facts a notice from the portal carries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("reminders") as batch:
        batch.add_column(sa.Column("facts", JSON, nullable=True))
    op.create_table(
        "dossiers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("procedure_code", sa.String(32), nullable=False),
        sa.Column("request", JSON, nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("consent_version", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(64), nullable=True),
        sa.Column("code", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("fee_amount", sa.BigInteger(), nullable=True),
        sa.Column("payment_url", sa.Text(), nullable=True),
        sa.Column("announced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dossiers"),
        sa.UniqueConstraint("idempotency_key", name="uq_dossiers_idempotency_key"),
        sa.UniqueConstraint("code", name="uq_dossiers_code"),
    )
    op.create_index("ix_dossiers_announced_at", "dossiers", ["announced_at"])
    op.create_index("ix_dossiers_state_next_attempt_at", "dossiers", ["state", "next_attempt_at"])
    op.create_index("ix_dossiers_channel_user_id", "dossiers", ["channel", "user_id"])


def downgrade() -> None:
    op.drop_table("dossiers")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_column("facts")
