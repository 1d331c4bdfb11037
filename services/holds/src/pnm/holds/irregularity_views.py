"""Reading the irregularities recorded for DFB (docs/irregularities.md): those of a period,
for the export. Reads only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import irregularity
from pnm.holds.irregularities import TooMany
from pnm.shared.contracts.records import Irregularity


async def in_period(
    conn: AsyncConnection, start: datetime, end: datetime, most: int
) -> list[Irregularity]:
    """The irregularities recorded in [start, end), oldest first; TooMany rather than a part
    of them when there are more than `most`."""
    period = (irregularity.c.recorded_at >= start, irregularity.c.recorded_at < end)
    count = (await conn.execute(select(func.count()).where(*period))).scalar_one()
    if count > most:
        raise TooMany(f"{count} irregularities in the period, at most {most} per export")
    rows = await conn.execute(
        select(irregularity.c.record)
        .where(*period)
        .order_by(irregularity.c.recorded_at, irregularity.c.irregularity_id)
    )
    return [Irregularity.model_validate(r.record) for r in rows]
