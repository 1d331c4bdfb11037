"""idempotency keys and dead-letter redrives

Revision ID: dda4c6b5e165
Revises: d5a1c0e7f3b2
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

from pnm.shared.migration_steps import (
    create_redrive_and_idempotency_tables,
    drop_redrive_and_idempotency_tables,
)

revision: str = "dda4c6b5e165"
down_revision: str | None = "d5a1c0e7f3b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_redrive_and_idempotency_tables("matcher")


def downgrade() -> None:
    drop_redrive_and_idempotency_tables("matcher")
