"""The written pre-notifications customs linked to a line's case, quoted by the line

Revision ID: a7e3b9c2d410
Revises: f3c9a1d7b2e4
Create Date: 2026-12-07 04:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "a7e3b9c2d410"
down_revision: str | None = "f3c9a1d7b2e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "line_reference",
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("references", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "line_id", "case_id"),
        schema="matcher",
    )


def downgrade() -> None:
    op.drop_table("line_reference", schema="matcher")
