"""Reading the audit trail (docs/audit.md): the entries of one hold or case, or of a period, in
sequence order. Reads only; the chain is written and verified by pnm.holds.audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
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
) -> Sequence[Row[Any]]:
    """The entries within [`start`, `end`), of one subject when named."""
    query = select(audit_entry).order_by(audit_entry.c.sequence)
    if subject_type is not None:
        query = query.where(audit_entry.c.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(audit_entry.c.subject_id == subject_id)
    if start is not None:
        query = query.where(audit_entry.c.at >= start)
    if end is not None:
        query = query.where(audit_entry.c.at < end)
    return (await conn.execute(query.limit(limit).offset(offset))).all()
