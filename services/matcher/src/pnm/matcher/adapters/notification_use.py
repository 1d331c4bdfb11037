"""Reads for `GET /matcher/notifications/{reference}/lines`: the lines whose current decision
names a pre-notification (docs/quantity-budget.md)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import decision
from pnm.shared.contracts.records import Decision


async def decisions_naming(conn: AsyncConnection, reference: str) -> list[Decision]:
    rows = await conn.execute(
        select(decision.c.payload)
        .where(decision.c.references.overlap([reference]))
        .order_by(decision.c.manifest_id, decision.c.line_id)
    )
    return [Decision.model_validate(r.payload) for r in rows]
