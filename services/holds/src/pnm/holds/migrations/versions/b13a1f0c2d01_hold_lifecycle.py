"""Hold lifecycle: block status, release by the authority, manual holds, escalation, one
standing hold per line and regime (a released one may be followed by a new one), instruction
purposes, re-sending and shadow delivery, and the line's current decision; the reconciliation's ledger follows the latest decision.

Revision ID: b13a1f0c2d01
Revises: 8b9690f97e53
Create Date: 2026-12-07 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b13a1f0c2d01"
down_revision: str | None = "8b9690f97e53"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
HOLD_COLUMNS = (
    sa.Column("block_status", sa.Text(), nullable=False, server_default="none"),
    sa.Column("origin", sa.Text(), nullable=False, server_default="decision"),
    sa.Column("destination", sa.Text()),
    sa.Column("current_instruction_id", sa.Text()),
    sa.Column("last_sequence", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("placed_by", sa.Text()),
    sa.Column("release_reason", sa.Text()),
    sa.Column("release_requested_at", TZ),
    sa.Column("released_by", sa.Text()),
    sa.Column("released_at", TZ),
    sa.Column("outcome", sa.Text()),
    sa.Column("escalation", sa.Text()),
    sa.Column("escalated_at", TZ),
    sa.Column("closed_at", TZ),
)
INSTRUCTION_COLUMNS = (
    sa.Column("purpose", sa.Text(), nullable=False, server_default="block"),
    sa.Column("delivery", sa.Text(), nullable=False, server_default="kafka"),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("next_attempt_at", TZ),
    sa.Column("escalated_at", TZ),
)


def upgrade() -> None:
    for column in HOLD_COLUMNS:
        op.add_column("hold", column, schema="holds")
    for column in INSTRUCTION_COLUMNS:
        op.add_column("instruction", column, schema="holds")
    # Holds opened before: their block's status and current instruction from what is stored.
    op.execute(
        """
        UPDATE holds.hold h SET
          block_status = CASE h.state WHEN 'instructed' THEN 'pending'
                                      WHEN 'acknowledged' THEN 'applied'
                                      WHEN 'block_rejected' THEN 'rejected' ELSE 'none' END,
          current_instruction_id = (SELECT i.instruction_id FROM holds.instruction i
                                    WHERE i.hold_id = h.hold_id
                                    ORDER BY i.sequence DESC LIMIT 1),
          last_sequence = COALESCE((SELECT max(i.sequence) FROM holds.instruction i
                                    WHERE i.hold_id = h.hold_id), 0)
        """
    )
    op.drop_constraint("uq_hold_line_regime", "hold", schema="holds", type_="unique")
    op.create_index(
        "uq_hold_line_regime_active",
        "hold",
        ["manifest_id", "line_id", "regime"],
        unique=True,
        schema="holds",
        postgresql_where=sa.text("state NOT IN ('released', 'refused')"),
    )
    op.create_index("ix_hold_line", "hold", ["manifest_id", "line_id"], schema="holds")
    op.create_index(
        "ix_instruction_unanswered",
        "instruction",
        ["next_attempt_at"],
        schema="holds",
        postgresql_where=sa.text("ack_result IS NULL AND delivery = 'kafka'"),
    )
    op.add_column(
        "required_hold",
        sa.Column("needs_hold", sa.Boolean(), nullable=False, server_default=sa.true()),
        schema="holds",
    )
    op.create_table(
        "line_decision",
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("decision_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("terminal", sa.Text()),
        sa.Column("decided_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("manifest_id", "line_id"),
        schema="holds",
    )


def downgrade() -> None:
    op.drop_table("line_decision", schema="holds")
    op.drop_column("required_hold", "needs_hold", schema="holds")
    op.drop_index("ix_instruction_unanswered", "instruction", schema="holds")
    op.drop_index("ix_hold_line", "hold", schema="holds")
    op.drop_index("uq_hold_line_regime_active", "hold", schema="holds")
    op.create_unique_constraint(
        "uq_hold_line_regime", "hold", ["manifest_id", "line_id", "regime"], schema="holds"
    )
    for column in INSTRUCTION_COLUMNS:
        op.drop_column("instruction", column.name, schema="holds")
    for column in HOLD_COLUMNS:
        op.drop_column("hold", column.name, schema="holds")
