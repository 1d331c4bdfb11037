"""Columns that mean the same in every service's tables, declared once.

Each service keeps its own tables (docs/decisions/0003-one-schema-per-service.md); what a group
of their columns means is written here once, so the copies of one fact cannot drift apart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Identity, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY


def line_key_columns(*, primary_key: bool = False) -> tuple[Column[str], Column[str]]:
    """A manifest line's identity: the manifest and the line within it."""
    if primary_key:
        return Column("manifest_id", Text, primary_key=True), Column(
            "line_id", Text, primary_key=True
        )
    return Column("manifest_id", Text, nullable=False), Column("line_id", Text, nullable=False)


def line_version_columns() -> tuple[Column[int], Column[bool]]:
    """Which version of a manifest line a row holds, and whether that version withdraws it."""
    return Column("version", Integer, nullable=False), Column("withdrawn", Boolean, nullable=False)


def written_at(name: str) -> Column[object]:
    """When the row was written, as the database's clock says."""
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def numbered() -> Column[int]:
    """`id`: the row's number, given by the database in the order rows are written."""
    return Column("id", BigInteger, Identity(), primary_key=True)


def read_from() -> tuple[Column[str], Column[str], Column[int], Column[int]]:
    """Where a message kept because it could not be handled was read: by which consumer, and
    its topic, partition and offset."""
    return (
        Column("consumer", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
    )


def arrival_columns() -> tuple[Column[int], Column[str], Column[datetime], Column[list[str]]]:
    """An arrival as received (manifest.arrivals.v1), numbered: the manifest, when it arrived,
    and which containers were discharged (NULL: the whole vessel or flight arrived)."""
    return (
        numbered(),
        Column("manifest_id", Text, nullable=False, index=True),
        Column("arrived_at", DateTime(timezone=True), nullable=False),
        Column("containers", ARRAY(Text)),
    )


def feed_life() -> tuple[Column[datetime], Column[datetime]]:
    """When a feed last sent a record, and last a heartbeat."""
    return (
        Column("last_record_at", DateTime(timezone=True)),
        Column("last_heartbeat_at", DateTime(timezone=True)),
    )


def emergency_columns() -> tuple[Column[datetime], Column[str], Column[str]]:
    """A feed's emergency procedure (docs/sources.md, "Emergency procedures"): since when,
    declared by whom, and the note that came with it."""
    return (
        Column("emergency_since", DateTime(timezone=True)),
        Column("emergency_declared_by", Text),
        Column("note", Text),
    )


def hold_columns() -> tuple[Column[str], ...]:
    """A hold as holds.states.v1 names it: its id, the line, the regime it holds the line under
    and the authority that may lift it."""
    return (
        Column("hold_id", Text, primary_key=True),
        *line_key_columns(),
        Column("regime", Text, nullable=False),
        Column("authority", Text, nullable=False),
    )


def case_columns() -> tuple[Column[str], ...]:
    """A pre-arrival case as holds.cases.v1 names it (docs/cases.md): its id, the line, and
    its state."""
    return (
        Column("case_id", Text, primary_key=True),
        *line_key_columns(),
        Column("state", Text, nullable=False),
    )


def decision_columns() -> tuple[Column[int], Column[str]]:
    """A line's decision as matcher.decisions.v1 numbers it: its number (one more each time it
    changes) and its status."""
    return (
        Column("decision_number", Integer, nullable=False),
        Column("status", Text, nullable=False),
    )
