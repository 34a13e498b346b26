"""Link codes as keyed hashes that die after five wrong guesses typed anywhere.

Codes stored before were bare SHA-256 digests of six digits, which anyone holding the table can
reverse; they live ten minutes at most, so they are simply deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM link_codes")
    with op.batch_alter_table("link_codes") as batch:
        batch.add_column(
            sa.Column("wrong_before", sa.BigInteger(), server_default="0", nullable=False)
        )
    op.create_table(
        "link_guesses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wrong", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_link_guesses"),
    )


def downgrade() -> None:
    op.drop_table("link_guesses")
    with op.batch_alter_table("link_codes") as batch:
        batch.drop_column("wrong_before")
