"""A line's packages beside its gross mass, for the quantity budget (docs/quantity-budget.md)

Revision ID: 9d4e2f7a1c35
Revises: a7e3b9c2d410
Create Date: 2026-12-07 21:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d4e2f7a1c35"
down_revision: str | None = "a7e3b9c2d410"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("line", sa.Column("packages", sa.Integer(), nullable=True), schema="matcher")
    # Lines stored before: their count from the record, when every goods item gives one.
    op.execute(
        """
        UPDATE matcher.line AS l SET packages = s.total
        FROM (
            SELECT manifest_id, line_id,
                   CASE WHEN count(*) = count(g->>'packages')
                        THEN sum((g->>'packages')::integer) END AS total
            FROM matcher.line, jsonb_array_elements(record->'goods') AS g
            GROUP BY manifest_id, line_id
        ) AS s
        WHERE l.manifest_id = s.manifest_id AND l.line_id = s.line_id
        """
    )


def downgrade() -> None:
    op.drop_column("line", "packages", schema="matcher")
