from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.messaging.tables import messaging_tables
from pnm.shared.reconciliation import unreadable_table

SCHEMA = "holds"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)

hold = Table(
    "hold",
    metadata,
    Column("hold_id", Text, primary_key=True),
    Column("manifest_id", Text, nullable=False),
    Column("line_id", Text, nullable=False),
    Column("regime", Text, nullable=False),
    Column("authority", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("terminal", Text, nullable=False),
    Column("containers", ARRAY(Text), nullable=False),
    Column("transport_document", Text),
    Column("reason", Text, nullable=False),
    Column("decision_number", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # The opening decision's goods summary (a list of GoodsSummary), for the fee estimate.
    Column("goods", JSONB),
    # One hold per line and regime: a re-delivered or repeated decision cannot open a second.
    UniqueConstraint("manifest_id", "line_id", "regime", name="uq_hold_line_regime"),
)

instruction = Table(
    "instruction",
    metadata,
    Column("instruction_id", Text, primary_key=True),
    Column("hold_id", Text, ForeignKey(hold.c.hold_id), nullable=False, index=True),
    Column("action", Text, nullable=False),
    Column("terminal", Text, nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("ack_result", Text),
    Column("ack_detail", Text),
    Column("acknowledged_at", DateTime(timezone=True)),
)

# The reconciliation's ledger: every (line, regime) a decision said needs a hold, read from the
# decisions topic by a consumer of its own. Keyed by a digest (identifiers can be too long for
# an index entry); `reconciled_at` is set once the hold exists, so a round reads only the open.
required_hold = Table(
    "required_hold",
    metadata,
    Column("digest", LargeBinary, primary_key=True),
    Column("manifest_id", Text, nullable=False),
    Column("line_id", Text, nullable=False),
    Column("regime", Text, nullable=False),
    Column("decision_number", Integer, nullable=False),
    Column("seen_at", DateTime(timezone=True), nullable=False),
    Column("reconciled_at", DateTime(timezone=True)),
    Index("ix_required_hold_open", "seen_at", postgresql_where=text("reconciled_at IS NULL")),
)
unreadable_decision = unreadable_table(metadata)
