"""Citizens' chosen communes, whose announcements they receive.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "commune_subscriptions",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("commune_code", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_commune_subscriptions_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", "user_id", name="pk_commune_subscriptions"),
    )
    for column in ("person_id", "commune_code", "province_code"):
        op.create_index(f"ix_commune_subscriptions_{column}", "commune_subscriptions", [column])


def downgrade() -> None:
    op.drop_table("commune_subscriptions")
