"""idempotency keys and dead-letter redrives

Revision ID: d47a439190d6
Revises: c23627bf11ea
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

from pnm.shared.migration_steps import (
    create_redrive_and_idempotency_tables,
    drop_redrive_and_idempotency_tables,
)

revision: str = "d47a439190d6"
down_revision: str | None = "c23627bf11ea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_redrive_and_idempotency_tables("prenotification")


def downgrade() -> None:
    drop_redrive_and_idempotency_tables("prenotification")
