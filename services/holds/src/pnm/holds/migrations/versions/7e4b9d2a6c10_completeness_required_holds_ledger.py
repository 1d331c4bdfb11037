"""Completeness: the reconciliation's ledger of holds that decisions require, and of decision
messages it could not read.

Revision ID: 7e4b9d2a6c10
Revises: 0c880d94c66c
Create Date: 2026-12-07 00:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pnm.shared.migration_steps import (
    create_unreadable_message_table,
    drop_unreadable_message_table,
)

revision: str = "7e4b9d2a6c10"
down_revision: str | None = "0c880d94c66c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "required_hold",
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("regime", sa.Text(), nullable=False),
        sa.Column("decision_number", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("digest"),
        schema="holds",
    )
    op.create_index(
        "ix_required_hold_open",
        "required_hold",
        ["seen_at"],
        schema="holds",
        postgresql_where=sa.text("reconciled_at IS NULL"),
    )
    create_unreadable_message_table("holds")


def downgrade() -> None:
    drop_unreadable_message_table("holds")
    op.drop_index("ix_required_hold_open", table_name="required_hold", schema="holds")
    op.drop_table("required_hold", schema="holds")
