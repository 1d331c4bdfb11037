"""Columns that mean the same in every service's tables, declared once."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Text, func


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
