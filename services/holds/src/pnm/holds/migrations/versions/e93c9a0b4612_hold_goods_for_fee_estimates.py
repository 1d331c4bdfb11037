"""hold goods: the goods summary of the decision that opened the hold, for the inspection fee
estimate (docs/fees.md); NULL for holds opened before it was kept

Revision ID: e93c9a0b4612
Revises: b13a1f0c2d01
Create Date: 2026-12-07 02:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "e93c9a0b4612"
down_revision: str | None = "b13a1f0c2d01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hold", sa.Column("goods", JSONB(), nullable=True), schema="holds")


def downgrade() -> None:
    op.drop_column("hold", "goods", schema="holds")
