"""What the console already knows about a hold's line (its own read model), filled into the
hold's forms so that an inspector does not retype it: the BCP and the goods of the line."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.console.adapters.tables import line


async def hold_prefill(conn: AsyncConnection, hold: dict[str, Any]) -> dict[str, str]:
    known = (
        await conn.execute(
            select(line.c.bcp, line.c.goods).where(
                line.c.manifest_id == hold.get("manifest_id"), line.c.line_id == hold.get("line_id")
            )
        )
    ).first()
    if known is None:
        return {}
    return {"bcp": known.bcp or "", "goods": known.goods or ""}
