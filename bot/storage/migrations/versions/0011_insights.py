"""What staff learn from: questions and how they went, unanswered ones with their words,
phrasings staff taught, ratings, and the checklist funnel's steps.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def where() -> list[sa.Column]:
    """The channel and commune a row came from."""
    return [
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("commune", sa.String(64), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", BIG_ID, nullable=False),
        at("at"),
        *where(),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_questions"),
    )
    op.create_index("ix_questions_at", "questions", ["at"])
    op.create_table(
        "unanswered",
        sa.Column("id", BIG_ID, nullable=False),
        at("at"),
        *where(),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        at("reviewed_at", nullable=True),
        sa.Column("lesson_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_unanswered"),
    )
    op.create_index("ix_unanswered_at", "unanswered", ["at"])
    op.create_index("ix_unanswered_reviewed_at_at", "unanswered", ["reviewed_at", "at"])
    op.create_table(
        "lessons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("phrase", sa.Text(), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        at("created_at"),
        sa.Column("created_by", sa.String(255), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_lessons"),
        sa.UniqueConstraint("key", name="uq_lessons_key"),
    )
    op.create_index("ix_lessons_procedure", "lessons", ["procedure"])
    op.create_table(
        "ratings",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        at("at"),
        *where(),
        sa.Column("subject", sa.String(16), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=True),
        sa.Column("good", sa.Boolean(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_ratings"),
        sa.UniqueConstraint("key", name="uq_ratings_key"),
    )
    op.create_index("ix_ratings_at", "ratings", ["at"])
    op.create_table(
        "milestones",
        sa.Column("id", BIG_ID, nullable=False),
        at("at"),
        *where(),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("procedure", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_milestones"),
    )
    op.create_index("ix_milestones_at", "milestones", ["at"])


def downgrade() -> None:
    for table in ("milestones", "ratings", "lessons", "unanswered", "questions"):
        op.drop_table(table)
