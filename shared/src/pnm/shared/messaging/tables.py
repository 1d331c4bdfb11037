"""The outbox, inbox and dead-letter tables every service keeps in its own schema, with the
record of re-driven dead letters and the idempotency keys of its write API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)

from pnm.shared.columns import numbered, read_from, written_at


@dataclass(frozen=True)
class MessagingTables:
    outbox: Table
    inbox: Table
    dead_letter: Table
    redrive: Table
    idempotency: Table


def messaging_tables(metadata: MetaData) -> MessagingTables:
    outbox = Table(
        "outbox",
        metadata,
        numbered(),
        Column("event_id", Text, nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("payload", LargeBinary, nullable=False),
        written_at("created_at"),
        Column("published_at", DateTime(timezone=True)),
        Index("ix_outbox_unpublished", "id", postgresql_where=text("published_at IS NULL")),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("topic", Text, nullable=False),
        written_at("processed_at"),
        PrimaryKeyConstraint("consumer", "event_id"),
    )
    dead_letter = Table(
        "dead_letter",
        metadata,
        numbered(),
        *read_from(),
        Column("key", Text),
        Column("payload", LargeBinary, nullable=False),
        Column("error", Text, nullable=False),
        Column("attempts", Integer, nullable=False),
        written_at("created_at"),
    )
    # One row per dead letter applied again: a second redrive finds it and applies
    # nothing (`source` names the dead letter: `table:<id>` or `<dlq topic>:<partition>:<offset>`).
    redrive = Table(
        "redrive",
        metadata,
        Column("source", Text, primary_key=True),
        Column("origin_topic", Text, nullable=False),
        Column("event_id", Text, nullable=False),
        Column("redriven_by", Text, nullable=False),
        written_at("redriven_at"),
    )
    # A write request by its caller, route and Idempotency-Key: the answer it got is kept
    # (`status_code` NULL while it is being processed) until `expires_at`.
    idempotency = Table(
        "idempotency_key",
        metadata,
        Column("subject", Text, nullable=False),
        Column("route", Text, nullable=False),
        Column("key", Text, nullable=False),
        Column("fingerprint", Text, nullable=False),
        Column("status_code", Integer),
        Column("content_type", Text),
        Column("body", LargeBinary),
        written_at("created_at"),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        PrimaryKeyConstraint("subject", "route", "key"),
        Index("ix_idempotency_key_expires_at", "expires_at"),
    )
    return MessagingTables(
        outbox=outbox,
        inbox=inbox,
        dead_letter=dead_letter,
        redrive=redrive,
        idempotency=idempotency,
    )


class SchemaTables(NamedTuple):
    """A service's schema: its name, the metadata its tables are declared in, and the messaging
    tables every service keeps there (docs/architecture.md, "Delivery guarantees")."""

    name: str
    metadata: MetaData
    messaging: MessagingTables


def schema_tables(name: str) -> SchemaTables:
    metadata = MetaData(schema=name)
    return SchemaTables(name, metadata, messaging_tables(metadata))
