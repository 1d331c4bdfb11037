"""The KPIs' reads of the console's read model, and the services' reconciliation reports through
their APIs (SQL and calls here, rules in domain/kpis.py; docs/kpis.md)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Float, and_, any_, cast, func, literal, select
from sqlalchemy import case as when
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.types import Text

from pnm.console.adapters.services_api import ServicesApi, ServiceUnreachable
from pnm.console.adapters.tables import case, decision_log, hold, line
from pnm.console.domain.kpis import (
    NONE,
    SETTLED,
    NotifiedInTime,
    Reconciliation,
    TerminalHolds,
    hours,
    indicator_kpis,
    notified_in_time,
    per_hour,
    reconciliation,
)
from pnm.shared.case_outcomes import IndicatorOutcomes
from pnm.shared.competence import REGIME_OF_AUTHORITY
from pnm.shared.contracts.records import Authority

SECONDS_PER_HOUR = 3600


@dataclass(frozen=True)
class Warning:
    """How early we warn: the median hours from a line's first flag to its arrival (its ETA
    while it has not arrived), over how many lines, and how many were flagged only after."""

    median_hours: float | None
    lines: int
    after_arrival: int


@dataclass(frozen=True)
class Kpis:
    notified: NotifiedInTime
    warning: Warning
    terminals: list[TerminalHolds]
    indicators: list[IndicatorOutcomes]
    decisions: list[tuple[datetime, int]]


def _of_line(regime: str | None) -> ColumnElement[bool]:
    return literal(regime) == any_(line.c.regimes) if regime else literal(True)


def _joined_line(table: Any) -> Any:
    return table.join(
        line, and_(line.c.manifest_id == table.c.manifest_id, line.c.line_id == table.c.line_id)
    )


def _median(seconds: ColumnElement[Any]) -> Any:
    return func.percentile_cont(0.5).within_group(seconds)


async def notified(conn: AsyncConnection, since: datetime, regime: str | None) -> NotifiedInTime:
    """Settled controlled lines decided since `since`, counted per BCP and status."""
    statement = (
        select(line.c.bcp, line.c.status, func.count())
        .where(line.c.status.in_(SETTLED), line.c.decided_at >= since)
        .where(line.c.withdrawn.is_(False), _of_line(regime))
        .group_by(line.c.bcp, line.c.status)
    )
    return notified_in_time((r[0], r[1], int(r[2])) for r in await conn.execute(statement))


async def warning(conn: AsyncConnection, since: datetime, regime: str | None) -> Warning:
    """Lines first flagged since `since` that have an arrival or an ETA."""
    arrival = func.coalesce(line.c.arrived_at, line.c.eta)
    ahead = cast(func.extract("epoch", arrival - line.c.flagged_at), Float)
    median, lines, after = (
        await conn.execute(
            select(_median(ahead), func.count(), func.count().filter(ahead < 0))
            .where(line.c.flagged_at >= since, arrival.is_not(None))
            .where(line.c.withdrawn.is_(False), _of_line(regime))
        )
    ).one()
    return Warning(hours(median), int(lines), int(after))


async def holds_per_terminal(
    conn: AsyncConnection, since: datetime, regime: str | None
) -> list[TerminalHolds]:
    """Holds opened since `since` per terminal, with the median time from the first block
    instruction to the terminal's first acknowledgement."""
    answer = cast(func.extract("epoch", hold.c.acknowledged_at - hold.c.instructed_at), Float)
    answered = and_(hold.c.acknowledged_at.is_not(None), hold.c.instructed_at.is_not(None))
    statement = (
        select(
            hold.c.terminal,
            func.count(),
            func.count().filter(answered),
            _median(answer),  # NULL (not answered) is left out
        )
        .where(hold.c.opened_at >= since)
        .group_by(hold.c.terminal)
        .order_by(func.count().desc(), hold.c.terminal)
    )
    if regime:
        statement = statement.where(hold.c.regime == regime)
    return [
        TerminalHolds(r[0] or NONE, int(r[1]), int(r[2]), r[3])
        for r in await conn.execute(statement)
    ]


async def case_outcomes(
    conn: AsyncConnection, since: datetime, regime: str | None
) -> list[IndicatorOutcomes]:
    """Cases closed since `since`, per indicator that flagged them and outcome."""
    flagged_by = func.unnest(
        when(
            (func.cardinality(case.c.indicators) == 0, literal([NONE], ARRAY(Text))),
            else_=case.c.indicators,
        )
    )
    closed: Select[Any] = select(flagged_by.label("indicator"), case.c.outcome).where(
        case.c.state == "closed", case.c.closed_at >= since, case.c.outcome.is_not(None)
    )
    if regime:
        closed = closed.select_from(_joined_line(case)).where(_of_line(regime))
    each = closed.subquery()
    rows = await conn.execute(
        select(each.c.indicator, each.c.outcome, func.count()).group_by(
            each.c.indicator, each.c.outcome
        )
    )
    return indicator_kpis((r[0], r[1], int(r[2])) for r in rows)


async def decisions_per_hour(
    conn: AsyncConnection, now: datetime, chart_hours: int, regime: str | None
) -> list[tuple[datetime, int]]:
    """Decisions taken in each of the last `chart_hours` hours (UTC hours, the current one
    included), of lines of the regime when scoped."""
    start = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    start -= timedelta(hours=chart_hours - 1)
    # The hour as a number (hours since 1970), so the session's time zone plays no part.
    hour = func.floor(func.extract("epoch", decision_log.c.decided_at) / SECONDS_PER_HOUR)
    statement = select(hour, func.count()).where(
        decision_log.c.decided_at >= start, decision_log.c.decided_at <= now
    )
    if regime:
        statement = statement.select_from(_joined_line(decision_log)).where(_of_line(regime))
    rows = await conn.execute(statement.group_by(hour))
    counts = {datetime.fromtimestamp(int(r[0]) * SECONDS_PER_HOUR, UTC): int(r[1]) for r in rows}
    return per_hour(counts, now.astimezone(UTC), chart_hours)


async def kpis(
    conn: AsyncConnection,
    now: datetime,
    window_hours: float,
    chart_hours: int,
    scope: Authority | None,
) -> Kpis:
    """Every KPI of the read model over the last `window_hours` (decisions: `chart_hours`), of
    the authority's regime when the person works for one authority."""
    since = now - timedelta(hours=window_hours)
    regime = REGIME_OF_AUTHORITY[scope].value if scope else None
    return Kpis(
        notified=await notified(conn, since, regime),
        warning=await warning(conn, since, regime),
        terminals=await holds_per_terminal(conn, since, regime),
        indicators=await case_outcomes(conn, since, regime),
        decisions=await decisions_per_hour(conn, now, chart_hours, regime),
    )


async def reconciliations(api: ServicesApi, services: tuple[str, ...]) -> list[Reconciliation]:
    """Each service's reconciliation report, asked as the person: a refusal or a service that
    does not answer shows as such, never as "no gaps"."""

    async def one(service: str) -> Reconciliation:
        try:
            answer = await api.get(service, "/reconciliation", limit=1)
        except ServiceUnreachable as err:
            return Reconciliation(service, "unreachable", {}, detail=str(err)[:300])
        return reconciliation(service, answer.status, answer.body, answer.detail)

    return list(await asyncio.gather(*(one(s) for s in services)))
