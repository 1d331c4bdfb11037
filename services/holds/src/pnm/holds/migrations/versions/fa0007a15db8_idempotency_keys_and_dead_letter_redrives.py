"""idempotency keys and dead-letter redrives

Revision ID: fa0007a15db8
Revises: 7e4b9d2a6c10
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

from pnm.shared.migration_steps import (
    create_redrive_and_idempotency_tables,
    drop_redrive_and_idempotency_tables,
)

revision: str = "fa0007a15db8"
down_revision: str | None = "7e4b9d2a6c10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_redrive_and_idempotency_tables("holds")


def downgrade() -> None:
    drop_redrive_and_idempotency_tables("holds")
