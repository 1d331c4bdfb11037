"""Reading pre-arrival cases (docs/cases.md): a case with its contacts, its linked
pre-notifications and its line's holds, one or a page of them; the outcomes of the cases closed
in a period per risk indicator. Reads only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Text, func, literal, select
from sqlalchemy import case as when
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import case, case_contact, case_reference, hold
from pnm.holds.domain.case import CaseState, Outcome, false_positive_rate


async def _view(conn: AsyncConnection, row: Row[Any]) -> dict[str, Any]:
    """The case with its contacts, linked pre-notifications and the line's holds."""
    contacts = await conn.execute(
        select(case_contact)
        .where(case_contact.c.case_id == row.case_id)
        .order_by(case_contact.c.recorded_at, case_contact.c.contact_id)
    )
    linked = await conn.execute(
        select(case_reference)
        .where(case_reference.c.case_id == row.case_id)
        .order_by(case_reference.c.linked_at, case_reference.c.reference)
    )
    holds = await conn.execute(
        select(hold.c.hold_id, hold.c.regime, hold.c.authority, hold.c.state, hold.c.origin)
        .where(hold.c.manifest_id == row.manifest_id, hold.c.line_id == row.line_id)
        .order_by(hold.c.opened_at, hold.c.hold_id)
    )
    return {
        **row._mapping,
        "contacts": [dict(c._mapping) for c in contacts],
        "references": [dict(r._mapping) for r in linked],
        "holds": [dict(h._mapping) for h in holds],
    }


async def one(conn: AsyncConnection, case_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(case).where(case.c.case_id == case_id))).first()
    return None if row is None else await _view(conn, row)


async def page(
    conn: AsyncConnection,
    manifest_id: str | None,
    line_id: str | None,
    state: CaseState | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Cases, oldest first."""
    query = select(case).order_by(case.c.opened_at, case.c.case_id)
    if manifest_id is not None:
        query = query.where(case.c.manifest_id == manifest_id)
    if line_id is not None:
        query = query.where(case.c.line_id == line_id)
    if state is not None:
        query = query.where(case.c.state == state.value)
    rows = (await conn.execute(query.limit(limit).offset(offset))).all()
    return [await _view(conn, r) for r in rows]


UNATTRIBUTED = "(none)"  # cases of lines no indicator flagged (manual holds)


@dataclass(frozen=True)
class IndicatorOutcomes:
    indicator: str
    by_outcome: dict[Outcome, int]

    @property
    def closed(self) -> int:
        return sum(self.by_outcome.values())

    @property
    def false_positive_rate(self) -> float | None:
        return false_positive_rate(self.by_outcome)


async def outcomes_per_indicator(
    conn: AsyncConnection, start: datetime, end: datetime
) -> list[IndicatorOutcomes]:
    """The cases closed in [start, end), counted per indicator that flagged them and outcome
    (a case flagged by two indicators counts for each)."""
    flagged = when(
        (func.cardinality(case.c.indicators) == 0, literal([UNATTRIBUTED], ARRAY(Text))),
        else_=case.c.indicators,
    )
    indicator = func.unnest(flagged).label("indicator")
    rows = await conn.execute(
        select(indicator, case.c.outcome, func.count().label("n"))
        .where(
            case.c.state == CaseState.CLOSED.value,
            case.c.closed_at >= start,
            case.c.closed_at < end,
        )
        .group_by(indicator, case.c.outcome)
    )
    counted: dict[str, dict[Outcome, int]] = {}
    for r in rows:
        counted.setdefault(r.indicator, {})[Outcome(r.outcome)] = r.n
    return [IndicatorOutcomes(i, counted[i]) for i in sorted(counted)]
