"""Drop the index on the decision status alone: the queue index (status, port, ETA) leads
with the status and serves every search by it, and each decision written paid for both.

Revision ID: e8bbfd2e92a9
Revises: b7d2c4e91a05
Create Date: 2026-11-27 10:40:53.020970
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e8bbfd2e92a9"
down_revision: str | None = "b7d2c4e91a05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index(op.f("ix_matcher_decision_status"), table_name="decision", schema="matcher")


def downgrade() -> None:
    op.create_index(
        op.f("ix_matcher_decision_status"), "decision", ["status"], unique=False, schema="matcher"
    )
