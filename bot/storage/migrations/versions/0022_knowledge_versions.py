"""Knowledge bases rebuilt from portal data uploaded in the console, and their source files.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "knowledge_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("uploaded", JSON, nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        at("created_at"),
        at("finished_at", nullable=True),
        sa.Column("applied_by", sa.Integer(), nullable=True),
        at("applied_at", nullable=True),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["staff.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["applied_by"], ["staff.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_knowledge_versions_state", "knowledge_versions", ["state"])
    op.create_index(
        "uq_knowledge_versions_in_force",
        "knowledge_versions",
        ["state"],
        unique=True,
        sqlite_where=sa.text("state = 'in_force'"),
        postgresql_where=sa.text("state = 'in_force'"),
    )
    op.create_table(
        "knowledge_sources",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["knowledge_versions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("version_id", "name"),
    )


def downgrade() -> None:
    op.drop_table("knowledge_sources")
    op.drop_index("uq_knowledge_versions_in_force", table_name="knowledge_versions")
    op.drop_index("ix_knowledge_versions_state", table_name="knowledge_versions")
    op.drop_table("knowledge_versions")
