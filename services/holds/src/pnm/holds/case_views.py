"""Reading pre-arrival cases (docs/cases.md): a case with its contacts, its linked
pre-notifications and its line's holds, one or a page of them; the outcomes of the cases closed
in a period per risk indicator. Reads only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, Table, Text, func, literal, select, tuple_
from sqlalchemy import case as when
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import case, case_contact, case_reference, hold
from pnm.holds.domain.case import CaseState
from pnm.shared.case_outcomes import UNATTRIBUTED, CaseOutcome, IndicatorOutcomes

# What a case shows of each hold of its line.
HOLD_SHOWN = (hold.c.hold_id, hold.c.regime, hold.c.authority, hold.c.state, hold.c.origin)


async def _grouped(
    conn: AsyncConnection, query: Select[Any], key: Sequence[str], shown: Sequence[str]
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """The rows of `query`, in its order, by their values of `key`, each as its `shown`."""
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for r in await conn.execute(query):
        row = r._mapping
        grouped[tuple(row[k] for k in key)].append({n: row[n] for n in shown})
    return grouped


async def _of_cases(
    conn: AsyncConnection, table: Table, ids: Sequence[str], *order: str
) -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """The rows of `table` that belong to the cases `ids`, by case, in `order`."""
    query = select(table).where(table.c.case_id.in_(ids)).order_by(*(table.c[o] for o in order))
    return await _grouped(conn, query, ["case_id"], table.c.keys())


async def _views(conn: AsyncConnection, rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """The cases with their contacts, linked pre-notifications and their lines' holds: three
    statements for all of them (not three per case), grouped here."""
    if not rows:
        return []
    ids = [r.case_id for r in rows]
    lines = sorted({(r.manifest_id, r.line_id) for r in rows})
    contacts = await _of_cases(conn, case_contact, ids, "recorded_at", "contact_id")
    linked = await _of_cases(conn, case_reference, ids, "linked_at", "reference")
    holds = await _grouped(
        conn,
        select(hold.c.manifest_id, hold.c.line_id, *HOLD_SHOWN)
        .where(tuple_(hold.c.manifest_id, hold.c.line_id).in_(lines))
        .order_by(hold.c.opened_at, hold.c.hold_id),
        ["manifest_id", "line_id"],
        [c.name for c in HOLD_SHOWN],
    )
    return [
        {
            **row._mapping,
            "contacts": contacts.get((row.case_id,), []),
            "references": linked.get((row.case_id,), []),
            # Cases of one line each get their own copies of its holds.
            "holds": [dict(h) for h in holds.get((row.manifest_id, row.line_id), [])],
        }
        for row in rows
    ]


async def one(conn: AsyncConnection, case_id: str) -> dict[str, Any] | None:
    rows = (await conn.execute(select(case).where(case.c.case_id == case_id))).all()
    return next(iter(await _views(conn, rows)), None)


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
    return await _views(conn, rows)


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
    counted: dict[str, dict[str, int]] = {}
    for r in rows:
        counted.setdefault(r.indicator, {})[CaseOutcome(r.outcome)] = r.n
    return [IndicatorOutcomes(i, counted[i]) for i in sorted(counted)]
