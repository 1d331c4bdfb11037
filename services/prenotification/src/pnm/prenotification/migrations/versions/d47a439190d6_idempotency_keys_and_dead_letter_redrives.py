"""idempotency keys and dead-letter redrives

Revision ID: d47a439190d6
Revises: c23627bf11ea
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d47a439190d6"
down_revision: str | None = "c23627bf11ea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redrive",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("origin_topic", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("redriven_by", sa.Text(), nullable=False),
        sa.Column(
            "redriven_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("source"),
        schema="prenotification",
    )
    op.create_table(
        "idempotency_key",
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", "route", "key"),
        schema="prenotification",
    )
    op.create_index(
        "ix_idempotency_key_expires_at",
        "idempotency_key",
        ["expires_at"],
        unique=False,
        schema="prenotification",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_idempotency_key_expires_at", table_name="idempotency_key", schema="prenotification"
    )
    op.drop_table("idempotency_key", schema="prenotification")
    op.drop_table("redrive", schema="prenotification")
