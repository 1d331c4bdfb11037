from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.columns import (
    case_columns,
    decision_columns,
    hold_columns,
    line_key_columns,
    numbered,
    written_at,
)
from pnm.shared.messaging.tables import schema_tables
from pnm.shared.reconciliation import ledger_table, unreadable_table

declared = schema_tables("holds")
SCHEMA, metadata, messaging = declared

# Where a hold still stands, where a case is open: the predicates of their unique indexes, as
# SQL text also in ON CONFLICT (with bound parameters PostgreSQL cannot match them to the
# index once it plans the prepared statement generically, from its sixth use on a connection).
STANDING_HOLD = text("state NOT IN ('released', 'refused')")
OPEN_CASE = text("state <> 'closed'")

# The columns of `hold` and `instruction` stand in the order the migrations made them: a column
# a later revision added comes last, as PostgreSQL appends it (the migrations are the truth;
# tests/integration/shared/test_migrations.py holds the two equal).
hold = Table(
    "hold",
    metadata,
    *hold_columns(),
    Column("state", Text, nullable=False),
    Column("terminal", Text, nullable=False),
    Column("containers", ARRAY(Text), nullable=False),
    Column("transport_document", Text),
    Column("reason", Text, nullable=False),
    Column("decision_number", Integer, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    written_at("updated_at"),
    # What the current terminal did with the block (domain.hold.BlockStatus): a release
    # request or an irregularity does not lift it.
    Column("block_status", Text, nullable=False, server_default="none"),
    Column("origin", Text, nullable=False, server_default="decision"),
    # Where the goods must be inspected when it is not the discharge terminal.
    Column("destination", Text),
    # The instruction whose answer moves the hold (a stand-down never does), and the last
    # sequence number given to one of the hold's instructions (per hold, increasing).
    Column("current_instruction_id", Text),
    Column("last_sequence", Integer, nullable=False, server_default="0"),
    Column("placed_by", Text),
    Column("release_reason", Text),
    Column("release_requested_at", DateTime(timezone=True)),
    Column("released_by", Text),
    Column("released_at", DateTime(timezone=True)),
    Column("outcome", Text),  # goods refused: re_export or destruction
    Column("escalation", Text),
    Column("escalated_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    # The opening decision's goods summary (a list of GoodsSummary), for the fee estimate.
    Column("goods", JSONB),
    # One standing hold per line and regime: a re-delivered or repeated decision cannot open
    # a second; once released or refused, a later decision may need a new one.
    Index(
        "uq_hold_line_regime_active",
        "manifest_id",
        "line_id",
        "regime",
        unique=True,
        postgresql_where=STANDING_HOLD,
    ),
    Index("ix_hold_line", "manifest_id", "line_id"),
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
    Column("purpose", Text, nullable=False, server_default="block"),
    # `kafka`: published; `shadow`: recorded only (a terminal in shadow mode).
    Column("delivery", Text, nullable=False, server_default="kafka"),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("escalated_at", DateTime(timezone=True)),
    Index(
        "ix_instruction_unanswered",
        "next_attempt_at",
        postgresql_where=text("ack_result IS NULL AND delivery = 'kafka'"),
    ),
)

# The line's current decision as this service last applied it: a decision with a lower or
# equal number is stale and does nothing (docs/holds.md, "what a decision does to a hold").
line_decision = Table(
    "line_decision",
    metadata,
    *line_key_columns(primary_key=True),
    *decision_columns(),
    Column("terminal", Text),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

# The reconciliation's ledger: per (line, regime), the latest decision read from the decisions
# topic by a consumer of its own, and whether it needs a hold; answered once the need is met
# (or gone).
required_hold = ledger_table(
    metadata,
    "required_hold",
    Column("regime", Text, nullable=False),
    Column("decision_number", Integer, nullable=False),
    added=[Column("needs_hold", Boolean, nullable=False, server_default=true())],
)
unreadable_decision = unreadable_table(metadata)

# The audit trail (docs/audit.md). An action writes `audit_pending` in its own transaction; at
# commit a deferred trigger appends it to `audit_entry` under the lock of `audit_head` (the
# chain's last sequence and hash) and removes it from `audit_pending`, which is empty outside a
# transaction. Triggers make `audit_entry` append-only and let `audit_head` only advance. The
# triggers stay in the migration that creates them (8b9690f97e53): they are PL/pgSQL the table
# declarations cannot state (docs/audit.md, "The chain"); the check constraints are declared.
_AUDIT_CONTENT = (
    ("at", DateTime(timezone=True), False),
    ("actor_subject", Text, False),
    ("actor_roles", ARRAY(Text), False),
    ("actor_organisation", Text, True),
    ("action", Text, False),
    ("subject_type", Text, False),
    ("subject_id", Text, False),
    ("before", JSONB(none_as_null=True), True),
    ("after", JSONB(none_as_null=True), True),
    ("outcome", Text, False),
    ("detail", Text, True),
)


def _audit_content() -> list[Column[Any]]:
    return [Column(name, kind, nullable=nullable) for name, kind, nullable in _AUDIT_CONTENT]


audit_entry = Table(
    "audit_entry",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    *_audit_content(),
    Column("prev_hash", Text, nullable=False),
    Column("hash", Text, nullable=False),
    CheckConstraint("outcome IN ('done', 'refused')", name="ck_audit_entry_outcome"),
    Index("ix_audit_entry_subject", "subject_type", "subject_id", "sequence"),
    Index("ix_audit_entry_at", "at"),
)

audit_pending = Table(
    "audit_pending",
    metadata,
    numbered(),
    *_audit_content(),
    Column("content_digest", Text, nullable=False),
)

audit_head = Table(
    "audit_head",
    metadata,
    # One row, the chain's head: the key can only be true.
    Column("singleton", Boolean, primary_key=True, server_default=true()),
    Column("sequence", BigInteger, nullable=False),
    Column("hash", Text, nullable=False),
    CheckConstraint("singleton", name="ck_audit_head_singleton"),
)

# Pre-arrival cases (docs/cases.md): one open case per held line; `indicators` are the risk
# indicators that flagged the line (`<regime>/cn:<prefix>`, `<regime>/keyword:<phrase>`), kept
# so each closing outcome is a labelled example per indicator.
case = Table(
    "case",
    metadata,
    *case_columns(),
    Column("indicators", ARRAY(Text), nullable=False, server_default="{}"),
    Column("outcome", Text),
    Column("close_note", Text),
    Column("opened_by_hold", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("closed_by", Text),
    Column("closed_at", DateTime(timezone=True)),
    Index(
        "uq_case_line_open",
        "manifest_id",
        "line_id",
        unique=True,
        postgresql_where=OPEN_CASE,
    ),
    Index("ix_case_line", "manifest_id", "line_id"),
    Index("ix_case_closed_at", "closed_at", postgresql_where=text("state = 'closed'")),
)

case_contact = Table(
    "case_contact",
    metadata,
    Column("contact_id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey(case.c.case_id), nullable=False, index=True),
    Column("party_name", Text, nullable=False),
    Column("party_eori", Text),
    Column("contacted_at", DateTime(timezone=True), nullable=False),
    Column("channel", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("officer", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# A written pre-notification the party sent (fax, e-mail) and the authority registered through
# the prenotification service's written channel: the line is matched as if it quoted it.
case_reference = Table(
    "case_reference",
    metadata,
    Column("case_id", Text, ForeignKey(case.c.case_id), primary_key=True),
    Column("reference", Text, primary_key=True),
    Column("received_by", Text, nullable=False),
    Column("linked_by", Text, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

# Irregularities for DFB (docs/irregularities.md): at most one per hold (the hold's
# transition allows one), recorded by the hold's authority.
irregularity = Table(
    "irregularity",
    metadata,
    Column("irregularity_id", Text, primary_key=True),
    Column("hold_id", Text, ForeignKey(hold.c.hold_id), nullable=False, index=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False, index=True),
    Column("record", JSONB, nullable=False),  # the published `Irregularity`, as sent
)
