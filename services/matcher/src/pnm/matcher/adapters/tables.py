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
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.messaging.tables import messaging_tables

SCHEMA = "matcher"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)

# Read models of the inputs, keyed so that candidates are found by index, never by a scan.
line = Table(
    "line",
    metadata,
    Column("manifest_id", Text, primary_key=True),
    Column("line_id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("containers", ARRAY(Text), nullable=False),
    Column("transport_document", Text, nullable=False),
    Column("record", JSONB, nullable=False),
    Index("ix_line_containers", "containers", postgresql_using="gin"),
    Index("ix_line_transport_document", "transport_document"),
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
    Index("ix_prenotification_containers", "containers", postgresql_using="gin"),
    Index("ix_prenotification_transport_document", "transport_document"),
)

arrival = Table(
    "arrival",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("manifest_id", Text, nullable=False, index=True),
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Column("containers", ARRAY(Text)),  # NULL: the whole vessel or flight arrived
)

decision = Table(
    "decision",
    metadata,
    Column("manifest_id", Text, primary_key=True),
    Column("line_id", Text, primary_key=True),
    Column("decision_number", Integer, nullable=False),
    Column("status", Text, nullable=False, index=True),
    Column("references", ARRAY(Text), nullable=False),
    Column("payload", JSONB, nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Index("ix_decision_references", "references", postgresql_using="gin"),
)
