"""Columns that mean the same in every service's tables, declared once."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Integer, Text, func


def line_key_columns(*, primary_key: bool = False) -> tuple[Column[str], Column[str]]:
    """A manifest line's identity: the manifest and the line within it."""
    if primary_key:
        return Column("manifest_id", Text, primary_key=True), Column(
            "line_id", Text, primary_key=True
        )
    return Column("manifest_id", Text, nullable=False), Column("line_id", Text, nullable=False)


def written_at(name: str) -> Column[object]:
    """When the row was written, as the database's clock says."""
    return Column(name, DateTime(timezone=True), nullable=False, server_default=func.now())


def read_from() -> tuple[Column[str], Column[str], Column[int], Column[int]]:
    """Where a message kept because it could not be handled was read: by which consumer, and
    its topic, partition and offset."""
    return (
        Column("consumer", Text, nullable=False),
        Column("topic", Text, nullable=False),
        Column("partition", Integer, nullable=False),
        Column("offset", BigInteger, nullable=False),
    )
