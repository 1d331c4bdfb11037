"""Completeness ledgers and their reconciliation, for any service that must answer for every
event it receives (the matcher: a decision for every accepted line; holds: a hold for every
decision that needs one).

A ledger is a consumer of its own (own group, own inbox name) that only records what must be
answered for, independently of the path that answers it. A message it cannot read at all is
recorded as unreadable, never dropped. The reconciliation compares the ledger with what the
service did; an entry still unanswered after the grace time is a gap: a metric, a readiness
warning and an entry in the service's `GET /<service>/reconciliation`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from prometheus_client import Gauge
from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import (
    Column,
    DateTime,
    Index,
    LargeBinary,
    MetaData,
    Row,
    Table,
    Text,
    and_,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ColumnElement

from pnm.shared.access import Requires
from pnm.shared.auth import Principal
from pnm.shared.columns import line_key_columns, read_from, written_at
from pnm.shared.db import UnitOfWork
from pnm.shared.http import AUTH_RESPONSES
from pnm.shared.messaging.transport import IncomingMessage
from pnm.shared.observability import log_fields
from pnm.shared.roles import INSPECTORS, Role
from pnm.shared.service import BackgroundLoop, ServiceContext, pause
from pnm.shared.text import storable

log = logging.getLogger(__name__)

GAPS = Gauge(
    "pnm_reconciliation_gaps",
    "Entries a service must answer for and has not, older than the grace time, by kind",
    ["service", "kind"],
)
OLDEST_GAP = Gauge(
    "pnm_reconciliation_oldest_gap_seconds",
    "Age of the oldest such entry (0 when there is none), by kind",
    ["service", "kind"],
)
UNREADABLE = "unreadable"
MAX_SUBJECT_CHARS = 200  # identifiers in a report are cut here (a hostile one can be huge)


class ReconciliationSettings(BaseSettings):
    """PNM_RECONCILIATION_GRACE_SECONDS: how long an entry may stay unanswered before it is a
    gap (a matcher catching up is not a gap); PNM_RECONCILIATION_INTERVAL_SECONDS: how often
    the reconciliation runs."""

    model_config = SettingsConfigDict(env_prefix="PNM_RECONCILIATION_", extra="ignore")

    grace_seconds: float = Field(default=300.0, ge=0)
    interval_seconds: float = Field(default=15.0, gt=0)


def ledger_table(
    metadata: MetaData,
    name: str,
    *facts: Column[Any],
    digest: str = "digest",
    added: Sequence[Column[Any]] = (),
) -> Table:
    """A ledger's table: an entry per line (and what else `facts` name) read by the ledger's
    consumer, keyed by a digest of its identifiers (they can be too long for an index entry).
    `reconciled_at` is set once the entry is answered for; a round reads only the open entries,
    through the partial index. `added`: columns a later revision added, which PostgreSQL put
    last."""
    return Table(
        name,
        metadata,
        Column(digest, LargeBinary, primary_key=True),
        *line_key_columns(),
        *facts,
        Column("seen_at", DateTime(timezone=True), nullable=False),
        Column("reconciled_at", DateTime(timezone=True)),
        *added,
        Index(f"ix_{name}_open", "seen_at", postgresql_where=text("reconciled_at IS NULL")),
    )


def unreadable_table(metadata: MetaData) -> Table:
    """Messages a ledger could not read: kept whole, keyed by their content."""
    return Table(
        "unreadable_message",
        metadata,
        Column("digest", LargeBinary, primary_key=True),
        *read_from(),
        Column("payload", LargeBinary, nullable=False),
        Column("error", Text, nullable=False),
        written_at("seen_at"),
    )


class UnreadableLedger:
    """The dead-letter sink of a ledger: records the message as unreadable (a gap for good)."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], table: Table) -> None:
        self._uow_factory = uow_factory
        self._table = table

    async def dead_letter(
        self, consumer: str, message: IncomingMessage, error: BaseException, attempts: int
    ) -> None:
        async with self._uow_factory() as uow:
            await record_unreadable(uow.conn, self._table, consumer, message, error)
            await uow.commit()


async def record_unreadable(
    conn: AsyncConnection,
    table: Table,
    consumer: str,
    message: IncomingMessage,
    error: BaseException | str,
) -> None:
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    await conn.execute(
        pg_insert(table)
        .values(
            digest=hashlib.sha256(message.value).digest(),
            consumer=consumer,
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            payload=message.value,
            error=storable(text[:2000]),
        )
        .on_conflict_do_nothing()
    )


class Gap(BaseModel):
    kind: str
    subject: str  # what is missing an answer, identifiers cut to a readable length
    detail: dict[str, Any] = {}
    seen_at: datetime
    age_seconds: float


class Report(BaseModel):
    """What `GET /<service>/reconciliation` answers."""

    service: str
    checked_at: datetime
    grace_seconds: float
    gaps: dict[str, int]  # by kind, every gap (the list below may be cut)
    oldest_gap_seconds: dict[str, float]
    entries: list[Gap]

    @property
    def total(self) -> int:
        return sum(self.gaps.values())

    def warning(self) -> str | None:
        if not self.total:
            return None
        parts = ", ".join(
            f"{n} {kind} (oldest {self.oldest_gap_seconds[kind]:.0f} s)"
            for kind, n in sorted(self.gaps.items())
            if n
        )
        return f"reconciliation: {parts}; see GET /{self.service}/reconciliation"


def subject(*parts: str) -> str:
    text = "/".join(parts)
    return text if len(text) <= MAX_SUBJECT_CHARS else text[: MAX_SUBJECT_CHARS - 1] + "…"


@dataclass
class GapCount:
    """The gaps of one kind: how many, the oldest, and the first entries."""

    count: int = 0
    oldest: datetime | None = None
    entries: list[Gap] = field(default_factory=list)


def report(service: str, now: datetime, grace: timedelta, kinds: Mapping[str, GapCount]) -> Report:
    """The report of one reconciliation, and the metrics set from it (pure but for those)."""
    gaps = {kind: c.count for kind, c in kinds.items()}
    oldest = {kind: _age(now, c.oldest) if c.oldest else 0.0 for kind, c in kinds.items()}
    for kind in kinds:
        GAPS.labels(service, kind).set(gaps[kind])
        OLDEST_GAP.labels(service, kind).set(oldest[kind])
    return Report(
        service=service,
        checked_at=now,
        grace_seconds=grace.total_seconds(),
        gaps=gaps,
        oldest_gap_seconds=oldest,
        entries=[e for c in kinds.values() for e in c.entries],
    )


def _age(now: datetime, since: datetime) -> float:
    return max((now - since).total_seconds(), 0.0)


def _gap(kind: str, about: str, detail: dict[str, Any], seen_at: datetime, now: datetime) -> Gap:
    """An entry still unanswered: its age counts from when it was seen."""
    return Gap(
        kind=kind, subject=about, detail=detail, seen_at=seen_at, age_seconds=_age(now, seen_at)
    )


async def _gaps(
    conn: AsyncConnection,
    table: Table,
    where: Sequence[ColumnElement[bool]],
    columns: Sequence[ColumnElement[Any]],
    limit: int,
    gap: Callable[[Row[*tuple[Any, ...]]], Gap],
) -> GapCount:
    """How many rows of `table` are gaps (`where`), the oldest one's seen_at, and the first
    `limit` of them, oldest first, read as `columns` and made a gap each."""
    count, oldest = (
        await conn.execute(select(func.count(), func.min(table.c.seen_at)).where(*where))
    ).one()
    rows = await conn.execute(
        select(*columns, table.c.seen_at).where(*where).order_by(table.c.seen_at).limit(limit)
    )
    return GapCount(int(count), oldest, [gap(r) for r in rows])


async def overdue_gaps(
    conn: AsyncConnection,
    ledger: Table,
    kind: str,
    detail: Sequence[str],
    now: datetime,
    grace: timedelta,
    limit: int,
) -> GapCount:
    """The entries of `ledger` (rows naming a manifest line) not yet answered for, older than
    `grace`: each with the ledger's `detail` columns."""
    overdue = and_(ledger.c.reconciled_at.is_(None), ledger.c.seen_at <= now - grace)
    columns = [ledger.c.manifest_id, ledger.c.line_id, *(ledger.c[name] for name in detail)]
    return await _gaps(
        conn,
        ledger,
        [overdue],
        columns,
        limit,
        lambda r: _gap(
            kind,
            subject(r.manifest_id, r.line_id),
            {name: r._mapping[name] for name in detail},
            r.seen_at,
            now,
        ),
    )


async def unreadable_gaps(
    conn: AsyncConnection, table: Table, now: datetime, limit: int
) -> GapCount:
    """Unreadable messages are gaps from the moment they are recorded, until a person acts."""
    return await _gaps(
        conn,
        table,
        [],
        [table.c.topic, table.c.partition, table.c.offset, table.c.error],
        limit,
        lambda r: _gap(
            UNREADABLE,
            subject(r.topic, str(r.partition), str(r.offset)),
            {"error": r.error[:MAX_SUBJECT_CHARS]},
            r.seen_at,
            now,
        ),
    )


# Who may read a reconciliation: the people who act on a gap (docs/architecture.md, "Roles").
READERS = (Role.CUSTOMS_PREARRIVAL, *INSPECTORS, Role.ADMIN)
WARNING_KEY = "reconciliation"

Reconcile = Callable[[AsyncConnection, datetime, timedelta, int], Awaitable[Report]]


def reconciliation_loop(ctx: ServiceContext, reconcile: Reconcile) -> BackgroundLoop:
    """Reconcile every interval: the metrics, and the readiness warning while there is a gap
    (or while the reconciliation itself cannot run)."""
    settings = ReconciliationSettings()
    grace = timedelta(seconds=settings.grace_seconds)

    async def run(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                async with ctx.engine.begin() as conn:
                    result = await reconcile(conn, ctx.clock(), grace, 10)
                warning = result.warning()
            except Exception as err:
                warning = f"reconciliation could not run: {type(err).__name__}"
                log.warning("reconciliation failed", extra=log_fields(error=repr(err)))
            if warning is None:
                ctx.warnings.pop(WARNING_KEY, None)
            else:
                if ctx.warnings.get(WARNING_KEY) != warning:
                    log.warning(warning)
                ctx.warnings[WARNING_KEY] = warning
            await pause(stopping, settings.interval_seconds)

    return run


def add_reconciliation_route(
    router: APIRouter, ctx: ServiceContext, reconcile: Reconcile, description: str
) -> None:
    grace = timedelta(seconds=ReconciliationSettings().grace_seconds)

    @router.get(
        "/reconciliation", tags=["completeness"], responses=AUTH_RESPONSES, description=description
    )
    async def reconciliation(
        _caller: Annotated[Principal, Depends(Requires(*READERS))],
        limit: int = Query(100, ge=1, le=1000),
    ) -> Report:
        async with ctx.engine.begin() as conn:
            return await reconcile(conn, ctx.clock(), grace, limit)
