"""idempotency keys and dead-letter redrives

Revision ID: 5c43dcfc6843
Revises: decf8d68ffb6
Create Date: 2026-12-07 00:20:00.000000
"""

from collections.abc import Sequence

from pnm.shared.migration_steps import (
    create_redrive_and_idempotency_tables,
    drop_redrive_and_idempotency_tables,
)

revision: str = "5c43dcfc6843"
down_revision: str | None = "decf8d68ffb6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_redrive_and_idempotency_tables("manifest_ingest")


def downgrade() -> None:
    drop_redrive_and_idempotency_tables("manifest_ingest")
