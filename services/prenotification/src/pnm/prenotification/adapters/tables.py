from __future__ import annotations

from sqlalchemy import Column, DateTime, Integer, MetaData, Table, Text, func
from sqlalchemy.dialects.postgresql import JSONB

from pnm.shared.messaging.tables import messaging_tables

SCHEMA = "prenotification"
metadata = MetaData(schema=SCHEMA)
messaging = messaging_tables(metadata)

prenotification = Table(
    "prenotification",
    metadata,
    Column("reference", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("system", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("record", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
