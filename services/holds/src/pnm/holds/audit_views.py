"""Reading the audit trail (docs/audit.md): the entries of one hold or case, or of a period, in
sequence order. Reads only; the chain is written and verified by pnm.holds.audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import audit_entry


async def entries(
    conn: AsyncConnection,
    subject_type: str | None,
    subject_id: str | None,
    start: datetime | None,
    end: datetime | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """The entries within [`start`, `end`), of one subject when named; each entry's actor
    columns as one `actor`."""
    query = select(audit_entry).order_by(audit_entry.c.sequence)
    if subject_type is not None:
        query = query.where(audit_entry.c.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(audit_entry.c.subject_id == subject_id)
    if start is not None:
        query = query.where(audit_entry.c.at >= start)
    if end is not None:
        query = query.where(audit_entry.c.at < end)
    rows = await conn.execute(query.limit(limit).offset(offset))
    return [_entry(r._mapping) for r in rows]


def _entry(stored: RowMapping) -> dict[str, Any]:
    entry = {k: v for k, v in stored.items() if not k.startswith("actor_")}
    entry["actor"] = {
        "subject": stored["actor_subject"],
        "roles": list(stored["actor_roles"]),
        "organisation": stored["actor_organisation"],
    }
    return entry


async def last_sequence(conn: AsyncConnection, before: datetime | None = None) -> int | None:
    """The last entry's sequence number; with `before`, of the entry before the first one at or
    after that time (entries of concurrent actions are not in time order, so a range by time
    ends where the first later entry begins). None: no such entry."""
    if before is not None:
        later = await conn.execute(
            select(func.min(audit_entry.c.sequence)).where(audit_entry.c.at >= before)
        )
        if (first_later := later.scalar_one_or_none()) is not None:
            return int(first_later) - 1
    found: int | None = (
        await conn.execute(select(func.max(audit_entry.c.sequence)))
    ).scalar_one_or_none()
    return found


async def hash_of(conn: AsyncConnection, sequence: int) -> str | None:
    """The stored hash of one entry (None: no entry with that number)."""
    found: str | None = (
        await conn.execute(select(audit_entry.c.hash).where(audit_entry.c.sequence == sequence))
    ).scalar_one_or_none()
    return found
