"""A relative's consent on their own chat: one-time consent codes, and the chat told of changes.

Revision ID: 0021
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "consent_requests",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("wrong_before", sa.BigInteger(), nullable=False),
        sa.Column("volunteer_channel", sa.String(32), nullable=False),
        sa.Column("volunteer_user_id", sa.String(255), nullable=False),
        sa.Column("filing_key", sa.String(64), nullable=False),
        sa.Column("procedure_code", sa.String(32), nullable=False),
        sa.Column("full_name", sa.String(300), nullable=False),
        sa.Column("relationship", sa.String(300), nullable=False),
        at("expires_at"),
        at("created_at"),
        sa.Column("person_channel", sa.String(32), nullable=True),
        sa.Column("person_user_id", sa.String(255), nullable=True),
        at("shown_at", nullable=True),
        at("agreed_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_consent_requests"),
    )
    op.create_index("ix_consent_requests_code_hash", "consent_requests", ["code_hash"])
    op.create_index("ix_consent_requests_filing_key", "consent_requests", ["filing_key"])
    op.create_index("ix_consent_requests_expires_at", "consent_requests", ["expires_at"])
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("helped_channel", sa.String(32), nullable=True))
        batch.add_column(sa.Column("helped_user_id", sa.String(255), nullable=True))
        batch.create_index(
            "ix_dossiers_helped_channel_helped_user_id", ["helped_channel", "helped_user_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_index("ix_dossiers_helped_channel_helped_user_id")
        batch.drop_column("helped_user_id")
        batch.drop_column("helped_channel")
    op.drop_index("ix_consent_requests_expires_at", "consent_requests")
    op.drop_index("ix_consent_requests_filing_key", "consent_requests")
    op.drop_index("ix_consent_requests_code_hash", "consent_requests")
    op.drop_table("consent_requests")
