"""Reads of the console's read model: queue pages, arrivals, feeds (SQL here, rules in
domain/queues.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, any_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select

from pnm.console.adapters.tables import case, feed, hold, line
from pnm.console.domain.queues import (
    QUEUES,
    Queue,
    QueueQuery,
    last_page,
)
from pnm.shared.competence import REGIME_OF_AUTHORITY
from pnm.shared.contracts.records import Authority

FINAL_HOLD_STATES = ("released", "refused")


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    size: int

    @property
    def last(self) -> int:
        return last_page(self.total, self.size)


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(text: str) -> ColumnElement[bool]:
    pattern = _like(text)
    return or_(
        func.lower(line.c.manifest_id + "/" + line.c.line_id).like(pattern, escape="\\"),
        func.lower(line.c.transport_document).like(pattern, escape="\\"),
        func.lower(line.c.importer).like(pattern, escape="\\"),
        func.lower(func.array_to_string(line.c.containers, " ")).like(pattern, escape="\\"),
        func.lower(func.array_to_string(line.c.references, " ")).like(pattern, escape="\\"),
    )


LINE_COLUMNS = (
    line.c.manifest_id,
    line.c.line_id,
    line.c.mode,
    line.c.carrier,
    line.c.bcp,
    line.c.eta,
    line.c.arrived_at,
    line.c.transport_document,
    line.c.containers,
    line.c.importer,
    line.c.goods,
    line.c.status,
    line.c.regimes,
    line.c.references,
    line.c.reason,
    line.c.decided_at,
)


def _base(queue: Queue) -> Select[Any]:
    if queue.source == "line":
        return select(*LINE_COLUMNS, line.c.terminal).where(line.c.status.in_(queue.statuses))
    if queue.source == "hold":
        joined = hold.join(
            line,
            and_(line.c.manifest_id == hold.c.manifest_id, line.c.line_id == hold.c.line_id),
            isouter=True,
        )
        wanted: ColumnElement[bool] = hold.c.state.in_(queue.hold_states)
        if queue.escalated:
            wanted = or_(
                wanted,
                and_(hold.c.escalation.is_not(None), hold.c.state.not_in(FINAL_HOLD_STATES)),
            )
        return (
            select(
                *[c for c in LINE_COLUMNS if c.name not in ("manifest_id", "line_id")],
                hold.c.manifest_id,
                hold.c.line_id,
                hold.c.hold_id,
                hold.c.regime,
                hold.c.authority,
                hold.c.terminal,
                hold.c.state.label("hold_state"),
                hold.c.block_status,
                hold.c.escalation,
                hold.c.changed_at,
            )
            .select_from(joined)
            .where(wanted)
        )
    joined = case.join(
        line,
        and_(line.c.manifest_id == case.c.manifest_id, line.c.line_id == case.c.line_id),
        isouter=True,
    )
    return (
        select(
            *[c for c in LINE_COLUMNS if c.name not in ("manifest_id", "line_id")],
            line.c.terminal,
            case.c.manifest_id,
            case.c.line_id,
            case.c.case_id,
            case.c.state.label("case_state"),
            case.c.indicators,
            case.c.opened_at,
            case.c.changed_at,
        )
        .select_from(joined)
        .where(case.c.state != "closed")
    )


SORT_COLUMNS: dict[str, Any] = {
    "eta": line.c.eta,
    "bcp": line.c.bcp,
    "status": line.c.status,
    "decided": line.c.decided_at,
    "importer": line.c.importer,
    "state": hold.c.state,
    "authority": hold.c.authority,
    "opened": case.c.opened_at,
}


def _sort_column(queue: Queue, sort: str) -> Any:
    if sort == "terminal":
        return hold.c.terminal if queue.source == "hold" else line.c.terminal
    if sort == "changed":
        return hold.c.changed_at if queue.source == "hold" else case.c.changed_at
    return SORT_COLUMNS[sort]


def _filtered(queue: Queue, query: QueueQuery, authority: Authority | None) -> Select[Any]:
    statement = _base(queue)
    if query.search:
        statement = statement.where(_search(query.search))
    if query.bcp:
        statement = statement.where(line.c.bcp == query.bcp)
    if query.terminal:
        column = hold.c.terminal if queue.source == "hold" else line.c.terminal
        statement = statement.where(column == query.terminal)
    regime = query.regime or (REGIME_OF_AUTHORITY[authority].value if authority else "")
    if regime:
        if queue.source == "hold":
            statement = statement.where(hold.c.regime == regime)
        else:
            statement = statement.where(literal(regime) == any_(line.c.regimes))
    return statement


async def queue_page(
    conn: AsyncConnection, queue: Queue, query: QueueQuery, authority: Authority | None
) -> Page:
    """One page of a queue (server-side: a queue of 50,000 rows costs one page's rows)."""
    statement = _filtered(queue, query, authority)
    total = (await conn.execute(select(func.count()).select_from(statement.subquery()))).scalar()
    column = _sort_column(queue, query.sort)
    order = column.desc().nulls_last() if query.direction == "desc" else column.asc().nulls_last()
    # Ties in a stable order, so that paging neither repeats nor skips a row.
    tie = {"line": (), "hold": (hold.c.hold_id,), "case": (case.c.case_id,)}[queue.source]
    rows = await conn.execute(
        statement.order_by(order, line.c.manifest_id, line.c.line_id, *tie)
        .limit(query.size)
        .offset((query.page - 1) * query.size)
    )
    return Page([dict(r._mapping) for r in rows], int(total or 0), query.page, query.size)


async def queue_counts(conn: AsyncConnection, authority: Authority | None) -> dict[str, int]:
    """How many rows each queue holds now (for the navigation's badges)."""
    counts: dict[str, int] = {}
    for queue in QUEUES:
        statement = _filtered(queue, QueueQuery(), authority)
        counted = await conn.execute(select(func.count()).select_from(statement.subquery()))
        counts[queue.name] = int(counted.scalar() or 0)
    return counts


async def arrivals(
    conn: AsyncConnection, now: datetime, hours: float, authority: Authority | None
) -> list[dict[str, Any]]:
    """Lines expected in the next `hours` (not yet arrived), per BCP and status."""
    statement = (
        select(line.c.bcp, line.c.status, func.count().label("lines"))
        .where(line.c.eta >= now, line.c.eta < now + timedelta(hours=hours))
        .where(line.c.arrived_at.is_(None), line.c.withdrawn.is_(False))
        .group_by(line.c.bcp, line.c.status)
        .order_by(line.c.bcp, line.c.status)
    )
    if authority:
        statement = statement.where(line.c.regimes.any(REGIME_OF_AUTHORITY[authority].value))
    return [dict(r._mapping) for r in await conn.execute(statement)]


async def feeds(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await conn.execute(select(feed).order_by(feed.c.system))]


async def hold_prefill(conn: AsyncConnection, hold: dict[str, Any]) -> dict[str, str]:
    """What the read model knows of a hold's line, filled into the hold's forms so that an
    inspector does not retype it: the BCP and the goods of the line."""
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
