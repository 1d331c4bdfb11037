"""Completeness: lines decided as unprocessable (with the event as received), and the
reconciliation's ledger of accepted lines and of messages it could not read.

Revision ID: d5a1c0e7f3b2
Revises: c41f0e7d9a23
Create Date: 2026-12-07 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pnm.shared.migration_steps import (
    create_unreadable_message_table,
    drop_unreadable_message_table,
)

revision: str = "d5a1c0e7f3b2"
down_revision: str | None = "c41f0e7d9a23"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unprocessable_line",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("line_digest", sa.LargeBinary(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("event", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("decision", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        schema="matcher",
    )
    op.create_index(
        "ix_matcher_unprocessable_line_line_digest",
        "unprocessable_line",
        ["line_digest"],
        schema="matcher",
    )
    op.create_table(
        "accepted_line",
        sa.Column("line_digest", sa.LargeBinary(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("line_digest"),
        schema="matcher",
    )
    op.create_index(
        "ix_accepted_line_open",
        "accepted_line",
        ["seen_at"],
        schema="matcher",
        postgresql_where=sa.text("reconciled_at IS NULL"),
    )
    create_unreadable_message_table("matcher")


def downgrade() -> None:
    drop_unreadable_message_table("matcher")
    op.drop_index("ix_accepted_line_open", table_name="accepted_line", schema="matcher")
    op.drop_table("accepted_line", schema="matcher")
    op.drop_index(
        "ix_matcher_unprocessable_line_line_digest",
        table_name="unprocessable_line",
        schema="matcher",
    )
    op.drop_table("unprocessable_line", schema="matcher")
