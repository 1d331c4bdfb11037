from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Identity,
    Integer,
    MetaData,
    Table,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.messaging.tables import messaging_tables

SCHEMA = "manifest_ingest"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)

manifest_line = Table(
    "manifest_line",
    metadata,
    Column("manifest_id", Text, primary_key=True),
    Column("line_id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("withdrawn", Boolean, nullable=False),
    Column("record", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

arrival = Table(
    "arrival",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("manifest_id", Text, nullable=False, index=True),
    Column("arrived_at", DateTime(timezone=True), nullable=False),
    Column("containers", ARRAY(Text)),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
