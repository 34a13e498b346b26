"""The audit trail of actions taken on someone else's behalf.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dossier_audit",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("dossier_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_id"],
            ["dossiers.id"],
            name="fk_dossier_audit_dossier_id_dossiers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_dossier_audit"),
    )
    op.create_index("ix_dossier_audit_dossier_id", "dossier_audit", ["dossier_id"])
    op.create_index("ix_dossier_audit_at", "dossier_audit", ["at"])


def downgrade() -> None:
    op.drop_table("dossier_audit")
