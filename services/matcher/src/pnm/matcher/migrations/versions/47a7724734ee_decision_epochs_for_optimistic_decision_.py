"""Decision epochs: what each transaction that stored matcher inputs wrote, numbered in commit
order, so that a batch of lines can be decided before the decision lock and checked under it.

Revision ID: 47a7724734ee
Revises: e8bbfd2e92a9
Create Date: 2026-11-27 11:07:13.605989
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "47a7724734ee"
down_revision: str | None = "e8bbfd2e92a9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "decision_epoch",
        sa.Column("epoch", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(
            "recorded_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("lines", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("line_keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("near_valid", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("near_invalid", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("notifications", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("notification_keys", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("manifests", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("feeds", sa.Boolean(), nullable=False),
        sa.Column("feed_life", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("epoch"),
        schema="matcher",
    )


def downgrade() -> None:
    op.drop_table("decision_epoch", schema="matcher")
