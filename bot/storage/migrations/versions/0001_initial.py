"""Initial schema: users, conversations, dedupe, reminders, message log, secrets, identities.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def at(name: str, nullable: bool = False) -> sa.Column:
    """A time-zone-aware timestamp column."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("locale", sa.String(16), nullable=True),
        at("created_at"),
        at("last_seen_at"),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("channel", "user_id", name="uq_users_channel_user_id"),
    )
    op.create_table(
        "conversations",
        sa.Column("user_pk", sa.Integer(), nullable=False),
        sa.Column("state", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        at("updated_at"),
        sa.ForeignKeyConstraint(
            ["user_pk"], ["users.id"], name="fk_conversations_user_pk_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_pk", name="pk_conversations"),
    )
    op.create_table(
        "processed_messages",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(255), nullable=False),
        at("processed_at"),
        sa.PrimaryKeyConstraint("channel", "message_id", name="pk_processed_messages"),
    )
    op.create_index("ix_processed_messages_processed_at", "processed_messages", ["processed_at"])
    op.create_table(
        "reminders",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        at("due_at"),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        at("claimed_at", nullable=True),
        sa.Column("replies", JSON, nullable=True),
        sa.Column("last_error", sa.String(64), nullable=True),
        at("created_at"),
        at("updated_at"),
        sa.PrimaryKeyConstraint("id", name="pk_reminders"),
    )
    op.create_index("ix_reminders_status_due_at", "reminders", ["status", "due_at"])
    op.create_table(
        "message_log",
        sa.Column("id", BIG_ID, nullable=False),
        at("at"),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("buttons", JSON, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_message_log"),
    )
    op.create_index(
        "ix_message_log_channel_user_id_id", "message_log", ["channel", "user_id", "id"]
    )
    op.create_table(
        "secrets",
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        at("updated_at"),
        sa.PrimaryKeyConstraint("key", name="pk_secrets"),
    )
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        at("created_at"),
        sa.PrimaryKeyConstraint("id", name="pk_persons"),
    )
    op.create_table(
        "identity_links",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        at("linked_at"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_identity_links_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("channel", "user_id", name="pk_identity_links"),
    )
    op.create_index("ix_identity_links_person_id", "identity_links", ["person_id"])
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        at("expires_at"),
        at("used_at", nullable=True),
        at("created_at"),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_link_codes_person_id_persons",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_link_codes"),
    )
    op.create_index("ix_link_codes_code_hash", "link_codes", ["code_hash"])
    op.create_table(
        "link_attempts",
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        at("window_started_at"),
        sa.PrimaryKeyConstraint("channel", "user_id", name="pk_link_attempts"),
    )


def downgrade() -> None:
    for table in (
        "link_attempts",
        "link_codes",
        "identity_links",
        "persons",
        "secrets",
        "message_log",
        "reminders",
        "processed_messages",
        "conversations",
        "users",
    ):
        op.drop_table(table)
