from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.columns import (
    arrival_columns,
    decision_columns,
    line_key_columns,
    line_version_columns,
    numbered,
    written_at,
)
from pnm.shared.messaging.tables import schema_tables
from pnm.shared.reconciliation import ledger_table, unreadable_table

declared = schema_tables("matcher")
SCHEMA, metadata, messaging = declared

# Read models of the inputs. Candidates are found through the key tables below, by index,
# never by a scan; the records themselves need no index beyond their key.
line = Table(
    "line",
    metadata,
    *line_key_columns(primary_key=True),
    *line_version_columns(),
    Column("containers", ARRAY(Text), nullable=False),
    Column("transport_document", Text, nullable=False),
    Column("record", JSONB, nullable=False),
    # Blocking (stage 4): strong keys ("container:…", "document:…", "reference:…"), the typo
    # neighbourhoods of containers and documents, and the weak block (vessel with party);
    # searched through `line_key`.
    Column("block_keys", ARRAY(Text), nullable=False, server_default="{}"),
    Column("gross_mass_kg", Float, nullable=False, server_default="0"),
    Column("packages", Integer),  # when every goods item gives its count
)

prenotification = Table(
    "prenotification",
    metadata,
    Column("reference", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("ched_type", Text, nullable=False),
    Column("containers", ARRAY(Text), nullable=False),
    Column("transport_document", Text),
    Column("record", JSONB, nullable=False),
    Column("block_keys", ARRAY(Text), nullable=False, server_default="{}"),
    Column("facts", JSONB),  # NotificationFacts, so candidates are never re-parsed
)

# The block keys as rows, searched with `key = ANY(...)` on a btree: thousands of keys per
# batch are cheap index probes, where an array overlap on a GIN index is planned as a scan.
line_key = Table(
    "line_key",
    metadata,
    Column("key", Text, primary_key=True),
    *line_key_columns(primary_key=True),
    Index("ix_line_key_line", "manifest_id", "line_id"),
)

prenotification_key = Table(
    "prenotification_key",
    metadata,
    Column("key", Text, nullable=False),
    Column("reference", Text, nullable=False),
    # The version the keys are of, in the index: candidates are found with their version by
    # the key index alone, and only versions not yet parsed are read from `prenotification`.
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("key", "reference", postgresql_include=["version"]),
    Index("ix_prenotification_key_reference", "reference"),
)

arrival = Table(
    "arrival",
    metadata,
    *arrival_columns(),
)

eta_update = Table(
    "eta_update",
    metadata,
    numbered(),
    Column("manifest_id", Text, nullable=False, index=True),
    Column("eta", DateTime(timezone=True), nullable=False),
    Column("containers", ARRAY(Text)),  # NULL: every line of the manifest
    Column("received_at", DateTime(timezone=True), nullable=False),
)

# The latest status of each pre-notification feed, and when the matcher last saw a record of it.
feed = Table(
    "feed",
    metadata,
    Column("system", Text, primary_key=True),
    Column("status", JSONB, nullable=False),  # FeedStatus
)

# The latest watermark the pre-notification service stamped on each partition of its topic,
# written in the transaction that consumes the stamp (docs/watermark.md).
prenotification_watermark = Table(
    "prenotification_watermark",
    metadata,
    Column("partition", Integer, primary_key=True, autoincrement=False),
    Column("partitions", Integer, nullable=False),
    Column("watermark", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

indicator_set = Table(
    "indicator_set",
    metadata,
    Column("version", Text, primary_key=True),
    Column("document", JSONB, nullable=False),  # IndicatorSetDocument
    Column("uploaded_by", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("activated_by", Text),
    Column("activated_at", DateTime(timezone=True), index=True),
)

decision = Table(
    "decision",
    metadata,
    *line_key_columns(primary_key=True),
    *decision_columns(),  # the status searched through ix_decision_queue
    Column("references", ARRAY(Text), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    # For the queues (by status, BCP and arrival window) and the deadline scheduler.
    Column("port", Text),
    Column("eta", DateTime(timezone=True)),
    Column("next_deadline", DateTime(timezone=True), index=True),
    Column("feed_held", Boolean, nullable=False, server_default="false"),
    # Held for the pre-notification watermark: the moment the block waits to be issued as of.
    Column("held_since", DateTime(timezone=True)),
    Index("ix_decision_references", "references", postgresql_using="gin"),
    Index("ix_decision_queue", "status", "port", "eta"),
    Index("ix_decision_feed_held", "feed_held", postgresql_where=text("feed_held")),
)

# One row per decision issued: the history a person sees beside the current decision.
decision_history = Table(
    "decision_history",
    metadata,
    *line_key_columns(primary_key=True),
    Column("decision_number", Integer, primary_key=True),
    Column("status", Text, nullable=False),
    Column("payload", JSONB, nullable=False),
)

# What each transaction that stored inputs wrote, numbered in commit order: lets a batch of
# lines be decided before the decision lock and checked under it (see `footprints`).
decision_epoch = Table(
    "decision_epoch",
    metadata,
    Column("epoch", BigInteger, primary_key=True, autoincrement=False),
    written_at("recorded_at"),
    Column("lines", ARRAY(Text), nullable=False),
    Column("line_keys", ARRAY(Text), nullable=False),
    Column("notifications", ARRAY(Text), nullable=False),
    Column("notification_keys", ARRAY(Text), nullable=False),
    Column("manifests", ARRAY(Text), nullable=False),
    Column("feeds", Boolean, nullable=False),
    Column("feed_life", Boolean, nullable=False),
)

# Lines the matcher could not process, decided `review` (reason `unprocessable`), with the
# event as received for the person who reviews it. Keyed by a digest of the identifiers, which
# may be too long for an index entry (see `domain.completeness`).
unprocessable_line = Table(
    "unprocessable_line",
    metadata,
    numbered(),
    Column("line_digest", LargeBinary, nullable=False, index=True),
    *line_key_columns(),
    Column("version", Integer, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("event", LargeBinary, nullable=False),
    Column("error", Text, nullable=False),
    Column("decision", JSONB, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

# The reconciliation's ledger: every line version read from the lines topic by a consumer of
# its own, whatever became of it on the decision path; answered once the line is decided at
# that version or later.
accepted_line = ledger_table(
    metadata, "accepted_line", Column("version", Integer, nullable=False), digest="line_digest"
)
unreadable_line = unreadable_table(metadata)

# The written pre-notifications customs linked to a line's case (docs/cases.md): the line is
# matched as if it quoted them, at every later version too. Per case, each event carrying
# every reference linked to that case so far (only a later one replaces the set).
line_reference = Table(
    "line_reference",
    metadata,
    *line_key_columns(primary_key=True),
    Column("case_id", Text, primary_key=True),
    Column("references", ARRAY(Text), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)
