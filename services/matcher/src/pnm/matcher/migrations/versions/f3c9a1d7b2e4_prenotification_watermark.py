"""The pre-notification watermark per partition, and the moment a block held for it waits as of

Revision ID: f3c9a1d7b2e4
Revises: dda4c6b5e165
Create Date: 2026-12-07 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3c9a1d7b2e4"
down_revision: str | None = "dda4c6b5e165"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "prenotification_watermark",
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("partitions", sa.Integer(), nullable=False),
        sa.Column("watermark", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partition"),
        schema="matcher",
    )
    op.add_column(
        "decision",
        sa.Column("held_since", sa.DateTime(timezone=True), nullable=True),
        schema="matcher",
    )


def downgrade() -> None:
    op.drop_column("decision", "held_since", schema="matcher")
    op.drop_table("prenotification_watermark", schema="matcher")
