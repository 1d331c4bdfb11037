"""The console's read model (docs/console.md): built only from the services' events, so the
queues, the overview and the KPIs are single-schema queries that page through thousands of rows
without asking another service. Line detail and actions go to the services' APIs instead."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from pnm.shared.columns import (
    case_columns,
    decision_columns,
    emergency_columns,
    feed_life,
    hold_columns,
    line_key_columns,
)
from pnm.shared.messaging.tables import schema_tables

declared = schema_tables("console")
SCHEMA, metadata, messaging = declared

# One row per manifest line: its facts (manifest.lines.v1, arrivals, ETA updates) and its
# latest decision (matcher.decisions.v1). Either may arrive first; each part keeps its own
# version so a late, older event never overwrites a newer one.
line = Table(
    "line",
    metadata,
    *line_key_columns(),
    Column("line_version", Integer),
    Column("mode", Text),
    Column("carrier", Text),  # vessel name (or IMO) or flight number
    Column("bcp", Text),  # the port of discharge
    Column("terminal", Text),
    Column("eta", DateTime(timezone=True)),
    Column("arrived_at", DateTime(timezone=True)),
    Column("transport_document", Text),
    Column("containers", ARRAY(Text), nullable=False, server_default="{}"),
    Column("importer", Text),
    Column("goods", Text),
    Column("decision_number", Integer),
    Column("status", Text),
    Column("regimes", ARRAY(Text), nullable=False, server_default="{}"),
    Column("references", ARRAY(Text), nullable=False, server_default="{}"),
    Column("reason", Text),
    Column("indicator_set_version", Text),
    Column("decided_at", DateTime(timezone=True)),
    # When the line was first decided as needing a hold (overdue, unnotified, invalid): the
    # warning that "how early we warn" measures against the arrival.
    Column("flagged_at", DateTime(timezone=True)),
    Column("withdrawn", Boolean, nullable=False, server_default="false"),
    PrimaryKeyConstraint("manifest_id", "line_id"),
    Index("ix_console_line_status", "status"),
    Index("ix_console_line_eta", "eta"),
    # The KPIs' periods (migration 615ca70f7878).
    Index(
        "ix_console_line_decided_at", "decided_at", postgresql_where=text("decided_at IS NOT NULL")
    ),
    Index(
        "ix_console_line_flagged_at", "flagged_at", postgresql_where=text("flagged_at IS NOT NULL")
    ),
)

# Every arrival and ETA update as it came (manifest.arrivals.v1, manifest.eta.v1), kept so that
# a line declared after them still gets them: the consumer reads its topics in any order, and
# a rebuild of the read model (docs/console-operations.md) reads them all again at once.
# Keyed by event id: applying one twice adds nothing.
arrival = Table(
    "arrival",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("manifest_id", Text, nullable=False),
    Column("containers", ARRAY(Text)),  # NULL: the whole vessel or flight
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_arrival_manifest", "manifest_id"),
)
eta_update = Table(
    "eta_update",
    metadata,
    Column("event_id", Text, primary_key=True),
    Column("manifest_id", Text, nullable=False),
    Column("containers", ARRAY(Text)),  # NULL: every line of the manifest
    Column("eta", DateTime(timezone=True), nullable=False),
    # When manifest-ingest sent it (the event's time): the latest sent applies.
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_eta_update_manifest", "manifest_id"),
)

# One row per hold (holds.states.v1), the latest state by its time.
hold = Table(
    "hold",
    metadata,
    *hold_columns(),
    Column("terminal", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("block_status", Text),
    Column("escalation", Text),
    Column("reason", Text),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("instructed_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_hold_line", "manifest_id", "line_id"),
    Index("ix_console_hold_state", "state"),
    Index("ix_console_hold_opened_at", "opened_at", postgresql_where=text("opened_at IS NOT NULL")),
)

# One row per pre-arrival case (holds.cases.v1).
case = Table(
    "case",
    metadata,
    *case_columns(),
    Column("outcome", Text),
    Column("indicators", ARRAY(Text), nullable=False, server_default="{}"),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Index("ix_console_case_line", "manifest_id", "line_id"),
    Index("ix_console_case_closed_at", "closed_at", postgresql_where=text("closed_at IS NOT NULL")),
)

# Every decision's number, status and time: decisions per hour.
decision_log = Table(
    "decision_log",
    metadata,
    *line_key_columns(),
    *decision_columns(),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("manifest_id", "line_id", "decision_number"),
    Index("ix_console_decision_log_decided_at", "decided_at"),
)

# Each feed's health and emergency state (prenotification.feeds.v1, manifest.feeds.v1).
feed = Table(
    "feed",
    metadata,
    Column("system", Text, primary_key=True),
    *feed_life(),
    Column("emergency", Boolean, nullable=False),
    *emergency_columns(),
    Column("at", DateTime(timezone=True), nullable=False),
)
