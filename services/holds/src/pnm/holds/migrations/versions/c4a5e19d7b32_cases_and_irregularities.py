"""Pre-arrival cases (contacts with the party, linked written pre-notifications, one outcome,
the risk indicators that flagged the line) and irregularities for DFB.

Revision ID: c4a5e19d7b32
Revises: e93c9a0b4612
Create Date: 2026-12-07 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

revision: str = "c4a5e19d7b32"
down_revision: str | None = "e93c9a0b4612"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case",
        sa.Column("case_id", sa.Text(), primary_key=True),
        sa.Column("manifest_id", sa.Text(), nullable=False),
        sa.Column("line_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("indicators", ARRAY(sa.Text()), nullable=False, server_default="{}"),
        sa.Column("outcome", sa.Text()),
        sa.Column("close_note", sa.Text()),
        sa.Column("opened_by_hold", sa.Text(), nullable=False),
        sa.Column("opened_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("closed_by", sa.Text()),
        sa.Column("closed_at", TZ),
        schema="holds",
    )
    op.create_index(
        "uq_case_line_open",
        "case",
        ["manifest_id", "line_id"],
        unique=True,
        schema="holds",
        postgresql_where=sa.text("state <> 'closed'"),
    )
    op.create_index("ix_case_line", "case", ["manifest_id", "line_id"], schema="holds")
    op.create_index(
        "ix_case_closed_at",
        "case",
        ["closed_at"],
        schema="holds",
        postgresql_where=sa.text("state = 'closed'"),
    )
    op.create_table(
        "case_contact",
        sa.Column("contact_id", sa.Text(), primary_key=True),
        sa.Column("case_id", sa.Text(), sa.ForeignKey("holds.case.case_id"), nullable=False),
        sa.Column("party_name", sa.Text(), nullable=False),
        sa.Column("party_eori", sa.Text()),
        sa.Column("contacted_at", TZ, nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("officer", sa.Text(), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        schema="holds",
    )
    op.create_index("ix_holds_case_contact_case_id", "case_contact", ["case_id"], schema="holds")
    op.create_table(
        "case_reference",
        sa.Column("case_id", sa.Text(), sa.ForeignKey("holds.case.case_id"), primary_key=True),
        sa.Column("reference", sa.Text(), primary_key=True),
        sa.Column("received_by", sa.Text(), nullable=False),
        sa.Column("linked_by", sa.Text(), nullable=False),
        sa.Column("linked_at", TZ, nullable=False),
        schema="holds",
    )
    op.create_table(
        "irregularity",
        sa.Column("irregularity_id", sa.Text(), primary_key=True),
        sa.Column("hold_id", sa.Text(), sa.ForeignKey("holds.hold.hold_id"), nullable=False),
        sa.Column("recorded_at", TZ, nullable=False),
        sa.Column("record", JSONB(), nullable=False),
        schema="holds",
    )
    op.create_index("ix_holds_irregularity_hold_id", "irregularity", ["hold_id"], schema="holds")
    op.create_index(
        "ix_holds_irregularity_recorded_at", "irregularity", ["recorded_at"], schema="holds"
    )


def downgrade() -> None:
    op.drop_table("irregularity", schema="holds")
    op.drop_table("case_reference", schema="holds")
    op.drop_table("case_contact", schema="holds")
    op.drop_table("case", schema="holds")
