"""Schema steps that every service's migration history takes alike, written once.

A step here is part of released migrations: it is never edited afterwards; a later change to
these tables is a new step (and a new revision in each service). That is why the steps write the
tables out instead of building them from the declarations in pnm.shared (messaging.tables,
rejections, reconciliation), which may change: tests/integration/shared/test_migrations.py holds
what the steps create equal to what is declared (docs/architecture.md, "Delivery guarantees")."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


def _now(name: str) -> sa.Column[datetime]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _identity(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), sa.Identity(always=False), nullable=False)


def create_redrive_and_idempotency_tables(schema: str) -> None:
    """`redrive`: each dead letter applied again, once (docs/operations.md).
    `idempotency_key`: the answer to each (caller, route, Idempotency-Key)."""
    op.create_table(
        "redrive",
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("origin_topic", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("redriven_by", sa.Text(), nullable=False),
        _now("redriven_at"),
        sa.PrimaryKeyConstraint("source"),
        schema=schema,
    )
    op.create_table(
        "idempotency_key",
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("route", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.Text(), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        _now("created_at"),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("subject", "route", "key"),
        schema=schema,
    )
    op.create_index(
        "ix_idempotency_key_expires_at",
        "idempotency_key",
        ["expires_at"],
        unique=False,
        schema=schema,
    )


def drop_redrive_and_idempotency_tables(schema: str) -> None:
    op.drop_index("ix_idempotency_key_expires_at", table_name="idempotency_key", schema=schema)
    op.drop_table("idempotency_key", schema=schema)
    op.drop_table("redrive", schema=schema)


def create_unreadable_message_table(schema: str) -> None:
    """`unreadable_message`: what a reconciliation ledger could not read, until a person acts
    (docs/completeness.md)."""
    op.create_table(
        "unreadable_message",
        sa.Column("digest", sa.LargeBinary(), nullable=False),
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
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
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        _now("created_at"),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        schema=schema,
    )
    op.create_index(
        "ix_outbox_unpublished",
        "outbox",
        ["id"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        _now("processed_at"),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
        schema=schema,
    )
    op.create_table(
        "dead_letter",
        _identity("id"),
        sa.Column("consumer", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.Text(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
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
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("row_number", sa.Integer(), nullable=True),
        sa.Column(subject, sa.Text(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        _now("received_at"),
        sa.Column("resubmitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resubmitted_as", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema=schema,
    )
    op.create_index(
        "ix_rejection_open",
        "rejection",
        ["id"],
        unique=False,
        schema=schema,
        postgresql_where=sa.text("resubmitted_at IS NULL"),
    )


def drop_rejection_table(schema: str) -> None:
    op.drop_table("rejection", schema=schema)
