"""console: indexes for the overview's KPIs

Each KPI counts the rows of its period (docs/kpis.md): lines decided or first flagged since,
holds opened since, cases closed since. Without these every refresh of the overview reads
every line the console ever kept.

Revision ID: 615ca70f7878
Revises: 6c0a51e2b7d3
Create Date: 2026-12-07 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "615ca70f7878"
down_revision: str | None = "6c0a51e2b7d3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "console"
INDEXES = (
    ("ix_console_line_decided_at", "line", "decided_at"),
    ("ix_console_line_flagged_at", "line", "flagged_at"),
    ("ix_console_hold_opened_at", "hold", "opened_at"),
    ("ix_console_case_closed_at", "case", "closed_at"),
)


def upgrade() -> None:
    for name, table, column in INDEXES:
        # Only the rows that have the moment: most lines are never flagged, open cases have
        # no closing time.
        op.create_index(
            name,
            table,
            [column],
            schema=SCHEMA,
            postgresql_where=sa.column(column).is_not(None),
            if_not_exists=True,
        )


def downgrade() -> None:
    for name, _table, _column in INDEXES:
        op.drop_index(name, schema=SCHEMA, if_exists=True)
