"""Inbox: how many platform messages of a row's replies the platform accepted.

One reply may be several platform messages; a platform that took the first ones and refused a
later one (a 502, a 429 past the adapter's waits) had the whole reply sent again from the kept
row, so the citizen read the first ones twice. The count lets the next attempt start at the
first message not accepted.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("inbox", sa.Column("sent", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("sent")
