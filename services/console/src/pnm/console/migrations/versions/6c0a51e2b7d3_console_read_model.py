"""console read model

Revision ID: 6c0a51e2b7d3
Revises:
Create Date: 2026-12-07 06:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from pnm.shared.migration_steps import create_messaging_tables, drop_messaging_tables

revision: str = "6c0a51e2b7d3"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = "console"


def _moment(name: str, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    create_messaging_tables(SCHEMA)
    texts = postgresql.ARRAY(sa.Text())
    op.create_table(
        "line",
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("line_version", sa.Integer(), nullable=True),
        sa.Column("mode", sa.Text(), nullable=True),
        sa.Column("carrier", sa.Text(), nullable=True),
        sa.Column("bcp", sa.Text(), nullable=True),
        sa.Column("terminal", sa.Text(), nullable=True),
        _moment("eta"),
        _moment("arrived_at"),
        sa.Column("transport_document", sa.Text(), nullable=True),
        sa.Column("containers", texts, server_default="{}", nullable=False),
        sa.Column("importer", sa.Text(), nullable=True),
        sa.Column("goods", sa.Text(), nullable=True),
        sa.Column("decision_number", sa.Integer(), nullable=True),
        sa.Column("status", sa.Text(), nullable=True),
        sa.Column("regimes", texts, server_default="{}", nullable=False),
        sa.Column("references", texts, server_default="{}", nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("indicator_set_version", sa.Text(), nullable=True),
        _moment("decided_at"),
        _moment("flagged_at"),
        sa.Column("withdrawn", sa.Boolean(), server_default="false", nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "line_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_console_line_status", "line", ["status"], schema=SCHEMA)
    op.create_index("ix_console_line_eta", "line", ["eta"], schema=SCHEMA)
    op.create_table(
        "hold",
        sa.Column("hold_id", sa.Text(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("regime", sa.Text(), nullable=False),
        sa.Column("authority", sa.Text(), nullable=False),
        sa.Column("terminal", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("block_status", sa.Text(), nullable=True),
        sa.Column("escalation", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        _moment("opened_at", nullable=False),
        _moment("instructed_at"),
        _moment("acknowledged_at"),
        _moment("changed_at", nullable=False),
        sa.PrimaryKeyConstraint("hold_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_console_hold_line", "hold", ["manifest_id", "line_id"], schema=SCHEMA)
    op.create_index("ix_console_hold_state", "hold", ["state"], schema=SCHEMA)
    op.create_table(
        "case",
        sa.Column("case_id", sa.Text(), nullable=False),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("indicators", texts, server_default="{}", nullable=False),
        _moment("opened_at", nullable=False),
        _moment("closed_at"),
        _moment("changed_at", nullable=False),
        sa.PrimaryKeyConstraint("case_id"),
        schema=SCHEMA,
    )
    op.create_index("ix_console_case_line", "case", ["manifest_id", "line_id"], schema=SCHEMA)
    op.create_table(
        "decision_log",
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("decision_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        _moment("decided_at", nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "line_id", "decision_number"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_console_decision_log_decided_at", "decision_log", ["decided_at"], schema=SCHEMA
    )
    op.create_table(
        "feed",
        sa.Column("system", sa.Text(), nullable=False),
        _moment("last_record_at"),
        _moment("last_heartbeat_at"),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        _moment("emergency_since"),
        sa.Column("emergency_declared_by", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _moment("at", nullable=False),
        sa.PrimaryKeyConstraint("system"),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in ("feed", "decision_log", "case", "hold", "line"):
        op.drop_table(table, schema=SCHEMA)
    drop_messaging_tables(SCHEMA)
