"""console: arrivals and ETA updates kept for lines declared after them

Revision ID: 3f1d6b8e2a47
Revises: 615ca70f7878
Create Date: 2026-12-07 06:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3f1d6b8e2a47"
down_revision: str | None = "615ca70f7878"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "console"


def upgrade() -> None:
    texts = postgresql.ARRAY(sa.Text())
    op.create_table(
        "arrival",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("containers", texts, nullable=True),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_console_arrival_manifest", "arrival", ["manifest_id"], schema=SCHEMA)
    op.create_table(
        "eta_update",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("containers", texts, nullable=True),
        sa.Column("eta", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_console_eta_update_manifest", "eta_update", ["manifest_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in ("eta_update", "arrival"):
        op.drop_table(table, schema=SCHEMA)
