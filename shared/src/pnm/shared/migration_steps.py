"""Schema steps that every service's migration history takes alike, written once.

A step here is part of released migrations: it is never edited afterwards; a later change to
these tables is a new step (and a new revision in each service). That is why the steps write the
tables out instead of building them from the declarations in pnm.shared (messaging.tables,
rejections, reconciliation), which may change: tests/integration/shared/test_migrations.py holds
what the steps create equal to what is declared (docs/architecture.md, "Delivery guarantees").
They write each table as a list of its columns, the neighbours of one type and nullability named
together, in the order the table has them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def _columns(
    kind: Callable[[], sa.types.TypeEngine[Any]], *names: str, nullable: bool = False
) -> list[sa.Column[Any]]:
    return [sa.Column(name, kind(), nullable=nullable) for name in names]


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def _jsonb() -> postgresql.JSONB:
    return postgresql.JSONB(astext_type=sa.Text())


def _now(name: str) -> sa.Column[datetime]:
    return sa.Column(name, _timestamp(), server_default=sa.text("now()"), nullable=False)


def _identity(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), sa.Identity(always=False), nullable=False)


def _read_from() -> list[sa.Column[Any]]:
    """Where a kept message was read: consumer, topic, partition, offset."""
    return [
        *_columns(sa.Text, "consumer", "topic"),
        *_columns(sa.Integer, "partition"),
        *_columns(sa.BigInteger, "offset"),
    ]


def _index(schema: str, name: str, table: str, column: str, where: str | None = None) -> None:
    condition = None if where is None else sa.text(where)
    op.create_index(name, table, [column], unique=False, schema=schema, postgresql_where=condition)


def create_redrive_and_idempotency_tables(schema: str) -> None:
    """`redrive`: each dead letter applied again, once (docs/operations.md).
    `idempotency_key`: the answer to each (caller, route, Idempotency-Key)."""
    op.create_table(
        "redrive",
        *_columns(sa.Text, "source", "origin_topic", "event_id", "redriven_by"),
        _now("redriven_at"),
        sa.PrimaryKeyConstraint("source"),
        schema=schema,
    )
    op.create_table(
        "idempotency_key",
        *_columns(sa.Text, "subject", "route", "key", "fingerprint"),
        *_columns(sa.Integer, "status_code", nullable=True),
        *_columns(sa.Text, "content_type", nullable=True),
        *_columns(sa.LargeBinary, "body", nullable=True),
        _now("created_at"),
        *_columns(_timestamp, "expires_at"),
        sa.PrimaryKeyConstraint("subject", "route", "key"),
        schema=schema,
    )
    _index(schema, "ix_idempotency_key_expires_at", "idempotency_key", "expires_at")


def drop_redrive_and_idempotency_tables(schema: str) -> None:
    op.drop_index("ix_idempotency_key_expires_at", table_name="idempotency_key", schema=schema)
    op.drop_table("idempotency_key", schema=schema)
    op.drop_table("redrive", schema=schema)


def create_unreadable_message_table(schema: str) -> None:
    """`unreadable_message`: what a reconciliation ledger could not read, until a person acts
    (docs/completeness.md)."""
    op.create_table(
        "unreadable_message",
        *_columns(sa.LargeBinary, "digest"),
        *_read_from(),
        *_columns(sa.LargeBinary, "payload"),
        *_columns(sa.Text, "error"),
        _now("seen_at"),
        sa.PrimaryKeyConstraint("digest"),
        schema=schema,
    )


def drop_unreadable_message_table(schema: str) -> None:
    op.drop_table("unreadable_message", schema=schema)


def create_outbox_inbox_and_dead_letter_tables(schema: str) -> None:
    """The outbox, inbox and dead-letter tables of pnm.shared.messaging.tables: what the first
    revision of the services older than the redrive and idempotency tables created."""
    op.create_table(
        "outbox",
        _identity("id"),
        *_columns(sa.Text, "event_id", "topic", "key"),
        *_columns(sa.LargeBinary, "payload"),
        _now("created_at"),
        *_columns(_timestamp, "published_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema=schema,
    )
    _index(schema, "ix_outbox_unpublished", "outbox", "id", where="published_at IS NULL")
    op.create_table(
        "inbox",
        *_columns(sa.Text, "consumer", "event_id", "topic"),
        _now("processed_at"),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        schema=schema,
    )
    op.create_table(
        "dead_letter",
        _identity("id"),
        *_read_from(),
        *_columns(sa.Text, "key", nullable=True),
        *_columns(sa.LargeBinary, "payload"),
        *_columns(sa.Text, "error"),
        *_columns(sa.Integer, "attempts"),
        _now("created_at"),
        sa.PrimaryKeyConstraint("id"),
        schema=schema,
    )


def drop_outbox_inbox_and_dead_letter_tables(schema: str) -> None:
    for table in ("dead_letter", "inbox", "outbox"):
        op.drop_table(table, schema=schema)


def create_messaging_tables(schema: str) -> None:
    """Every messaging table of pnm.shared.messaging.tables (outbox, inbox, dead letters,
    redrives, idempotency keys): a new service's first revision calls this, and
    `drop_messaging_tables` in its downgrade."""
    create_outbox_inbox_and_dead_letter_tables(schema)
    create_redrive_and_idempotency_tables(schema)


def drop_messaging_tables(schema: str) -> None:
    drop_redrive_and_idempotency_tables(schema)
    drop_outbox_inbox_and_dead_letter_tables(schema)


def create_rejection_table(schema: str, subject: str) -> None:
    """`rejection`: refused input kept with its reasons (pnm.shared.rejections.Rejections);
    `subject` names the column that says what was refused (a line, a reference)."""
    op.create_table(
        "rejection",
        _identity("id"),
        *_columns(sa.Text, "channel"),
        *_columns(sa.Text, "source", nullable=True),
        *_columns(sa.Integer, "row_number", nullable=True),
        *_columns(sa.Text, subject, nullable=True),
        *_columns(_jsonb, "payload", "reasons"),
        _now("received_at"),
        *_columns(_timestamp, "resubmitted_at", nullable=True),
        *_columns(sa.Text, "resubmitted_as", nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema=schema,
    )
    _index(schema, "ix_rejection_open", "rejection", "id", where="resubmitted_at IS NULL")


def drop_rejection_table(schema: str) -> None:
    op.drop_table("rejection", schema=schema)
