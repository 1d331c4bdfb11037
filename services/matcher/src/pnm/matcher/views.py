"""The matcher's reads: decisions, their history, the queues, the lines naming a
pre-notification, the lines it could not process. Reads only; the routes map "not found" to
404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import decision, decision_history, unprocessable_line
from pnm.shared.contracts.records import Decision, DecisionStatus


async def current(conn: AsyncConnection, manifest_id: str, line_id: str) -> dict[str, Any] | None:
    """The line's current decision."""
    row = (
        await conn.execute(
            select(decision.c.payload).where(
                decision.c.manifest_id == manifest_id, decision.c.line_id == line_id
            )
        )
    ).first()
    return dict(row.payload) if row is not None else None


async def history(conn: AsyncConnection, manifest_id: str, line_id: str) -> list[dict[str, Any]]:
    """Every decision the line has had, oldest first."""
    h = decision_history.c
    rows = await conn.execute(
        select(h.payload)
        .where(h.manifest_id == manifest_id, h.line_id == line_id)
        .order_by(h.decision_number)
    )
    return [dict(r.payload) for r in rows]


@dataclass(frozen=True)
class QueueFilter:
    status: DecisionStatus | None = None
    manifest_id: str | None = None
    bcp: str | None = None  # the port of discharge
    arrival_from: datetime | None = None
    arrival_to: datetime | None = None


async def queue(
    conn: AsyncConnection, wanted: QueueFilter, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Decisions by status, BCP and arrival window, earliest arrival first."""
    d = decision.c
    query = select(d.payload).order_by(d.eta, d.manifest_id, d.line_id)
    if wanted.status is not None:
        query = query.where(d.status == wanted.status.value)
    if wanted.manifest_id is not None:
        query = query.where(d.manifest_id == wanted.manifest_id)
    if wanted.bcp is not None:
        query = query.where(d.port == wanted.bcp.upper())
    if wanted.arrival_from is not None:
        query = query.where(d.eta >= wanted.arrival_from)
    if wanted.arrival_to is not None:
        query = query.where(d.eta < wanted.arrival_to)
    return [dict(r.payload) for r in await conn.execute(query.limit(limit).offset(offset))]


async def decisions_naming(conn: AsyncConnection, reference: str) -> list[Decision]:
    """The current decisions that name a pre-notification (docs/quantity-budget.md)."""
    rows = await conn.execute(
        select(decision.c.payload)
        .where(decision.c.references.overlap([reference]))
        .order_by(decision.c.manifest_id, decision.c.line_id)
    )
    return [Decision.model_validate(r.payload) for r in rows]


async def unprocessable(conn: AsyncConnection, limit: int, offset: int) -> list[dict[str, Any]]:
    """Lines the matcher could not process, newest first."""
    u = unprocessable_line.c
    rows = await conn.execute(
        select(u.id, u.error, u.decision, u.event, u.decided_at)
        .order_by(u.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [
        {
            "id": r.id,
            "error": r.error,
            "decided_at": r.decided_at,
            "decision": r.decision,
            "event": r.event.decode("utf-8", "replace"),
        }
        for r in rows
    ]
