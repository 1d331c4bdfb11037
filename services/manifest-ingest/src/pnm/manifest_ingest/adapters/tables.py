from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.files import intake_file_table
from pnm.shared.messaging.tables import messaging_tables
from pnm.shared.rejections import Rejections

SCHEMA = "manifest_ingest"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)

# The current version of every line: the record as published (normalised), the raw values
# normalisation replaced, the flags, and the keys the queries use.
manifest_line = Table(
    "manifest_line",
    metadata,
    Column("manifest_id", Text, primary_key=True),
    Column("line_id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("record", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
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
    Column("manifest_id", Text, nullable=False),
    Column("line_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("record", JSONB, nullable=False),
    Column("changes", JSONB, nullable=False),
    Column("message", Text),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    PrimaryKeyConstraint("manifest_id", "line_id", "version"),
)

rejections = Rejections(metadata, subject="line")
intake_file = intake_file_table(metadata)

arrival = Table(
    "arrival",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("manifest_id", Text, nullable=False, index=True),
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Column("containers", ARRAY(Text)),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# The last message per source (DMF), for feed health.
feed = Table(
    "feed",
    metadata,
    Column("source", Text, primary_key=True),
    Column("last_message_at", DateTime(timezone=True), nullable=False),
)
