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
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from pnm.shared.columns import emergency_columns, feed_life, numbered, written_at
from pnm.shared.files import intake_file_table
from pnm.shared.messaging.tables import schema_tables
from pnm.shared.rejections import Rejections

declared = schema_tables("prenotification")
SCHEMA, metadata, messaging = declared

# The current version of every pre-notification, with the keys the queries filter on.
prenotification = Table(
    "prenotification",
    metadata,
    Column("reference", Text, primary_key=True),  # normalised: CHEDP.NL.2026.0012345
    Column("version", Integer, nullable=False),
    Column("system", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("record", JSONB, nullable=False),
    written_at("received_at"),
    Column("raw_reference", Text),
    Column("ched_type", Text),
    Column("bcp", Text),
    Column("submitted_at", DateTime(timezone=True)),
    Column("expected_arrival", DateTime(timezone=True)),
    Column("importer_name", Text),
    Column("containers", ARRAY(Text)),
    Column("transport_document", Text),
    Column("on_time", Boolean),
    Column("flagged", Boolean),
    Column("entered_by", Text),
    Column("certificate_due_at", DateTime(timezone=True)),
    Column("certificate_registered_at", DateTime(timezone=True)),
    Column("certificate_overdue_at", DateTime(timezone=True)),
    Column("updated_at", DateTime(timezone=True), server_default=func.now()),
    Index("ix_prenotification_containers", "containers", postgresql_using="gin"),
    Index("ix_prenotification_transport_document", "transport_document"),
    Index("ix_prenotification_arrival", "expected_arrival", "reference"),
    Index("ix_prenotification_importer", func.lower(text("importer_name"))),
    Index(
        "ix_prenotification_certificate_due",
        "certificate_due_at",
        postgresql_where=text(
            "certificate_due_at IS NOT NULL AND certificate_registered_at IS NULL "
            "AND certificate_overdue_at IS NULL"
        ),
    ),
)

# Every accepted version, as published.
prenotification_version = Table(
    "prenotification_version",
    metadata,
    Column("reference", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("record", JSONB, nullable=False),
    Column("channel", Text, nullable=False),
    Column("entered_by", Text),
    written_at("received_at"),
    PrimaryKeyConstraint("reference", "version"),
)

# Every refused input, with its reasons, until it is corrected and re-submitted.
rejections = Rejections(metadata, subject="reference")
rejection = rejections.table

# Files taken in, by content digest: the same file twice is processed once.
intake_file = intake_file_table(metadata)

feed = Table(
    "feed",
    metadata,
    Column("system", Text, primary_key=True),
    *feed_life(),
    *emergency_columns(),
)

emergency_procedure = Table(
    "emergency_procedure",
    metadata,
    numbered(),
    Column("system", Text, nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("started_by", Text, nullable=False),
    Column("ended_at", DateTime(timezone=True)),
    Column("ended_by", Text),
    Column("note", Text),
)
