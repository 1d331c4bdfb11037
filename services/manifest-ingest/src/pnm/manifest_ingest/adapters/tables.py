from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, PrimaryKeyConstraint, Table, Text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.columns import arrival_columns, line_key_columns, line_version_columns, written_at
from pnm.shared.files import intake_file_table
from pnm.shared.messaging.tables import schema_tables
from pnm.shared.rejections import Rejections

declared = schema_tables("manifest_ingest")
SCHEMA, metadata, messaging = declared

# The current version of every line: the record as published (normalised), the raw values
# normalisation replaced, the flags, and the keys the queries use.
manifest_line = Table(
    "manifest_line",
    metadata,
    *line_key_columns(primary_key=True),
    *line_version_columns(),
    Column("record", JSONB, nullable=False),
    written_at("received_at"),
    Column("raw", JSONB),
    Column("flags", JSONB),
    Column("containers", ARRAY(Text)),
    Column("transport_document", Text),
    Column("consignee", Text),
    Column("vessel_imo", Text),
    Column("flight_number", Text),
    Column("eta", DateTime(timezone=True)),
    Column("message", Text),  # the request or file that brought this version
    Index("ix_manifest_line_containers", "containers", postgresql_using="gin"),
    Index("ix_manifest_line_transport_document", "transport_document"),
    Index("ix_manifest_line_vessel", "vessel_imo", "eta"),
    Index("ix_manifest_line_flight", "flight_number", "eta"),
)

# Every accepted version, with what changed against the one before it.
line_version = Table(
    "line_version",
    metadata,
    *line_key_columns(),
    *line_version_columns(),
    Column("record", JSONB, nullable=False),
    Column("changes", JSONB, nullable=False),
    Column("message", Text),
    written_at("received_at"),
    PrimaryKeyConstraint("manifest_id", "line_id", "version"),
)

rejections = Rejections(metadata, subject="line")
intake_file = intake_file_table(metadata)

arrival = Table(
    "arrival",
    metadata,
    *arrival_columns(),
    written_at("received_at"),
)

# The last message per source (DMF), for feed health.
feed = Table(
    "feed",
    metadata,
    Column("source", Text, primary_key=True),
    Column("last_message_at", DateTime(timezone=True), nullable=False),
)
