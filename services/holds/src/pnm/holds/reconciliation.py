"""The holds service's half of the completeness invariant: every decision that needs a hold
has one. A ledger of its own reads the decisions topic and records each (line, regime) that
needs a hold; the reconciliation finds those without a hold after the grace time (see
`pnm.shared.reconciliation` and docs/completeness.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import hold, required_hold, unreadable_decision
from pnm.holds.domain.hold import HOLD_REQUIRED
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Decision
from pnm.shared.contracts.topics import DECISIONS
from pnm.shared.db import UnitOfWork
from pnm.shared.reconciliation import (
    UNREADABLE,
    Report,
    overdue_gaps,
    report,
    unreadable_gaps,
)
from pnm.shared.service import Clock, Ledger, ServiceContext
from pnm.shared.text import digest

MISSING = "missing_hold"
SERVICE = "holds"


def ledger(ctx: ServiceContext) -> Ledger:
    return Ledger(
        name="reconciliation",
        handlers={DECISIONS.name: partial(on_decision_seen, clock=ctx.clock)},
        unreadable=unreadable_decision,
    )


async def on_decision_seen(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """A decision that cannot be read raises: the ledger records it as unreadable."""
    decided = Decision.model_validate(event.data)
    staged: dict[bytes, dict[str, Any]] = uow.state.setdefault("ledger.holds", {})
    for regime_decision in decided.per_regime:
        if regime_decision.status not in HOLD_REQUIRED:
            continue
        regime = regime_decision.regime.value
        key = digest(decided.manifest_id, decided.line_id, regime)
        staged.setdefault(
            key,
            {
                "digest": key,
                "manifest_id": decided.manifest_id,
                "line_id": decided.line_id,
                "regime": regime,
                "decision_number": decided.decision_number,
                "seen_at": clock(),
            },
        )
    uow.before_commit("ledger.holds", _store)


async def _store(uow: UnitOfWork) -> None:
    """One statement for the batch; the first decision that needed the hold is kept (a hold,
    once opened, answers for every later one)."""
    rows = list(uow.state.pop("ledger.holds", {}).values())
    if rows:
        await uow.conn.execute(pg_insert(required_hold).on_conflict_do_nothing(), rows)


async def reconcile(
    conn: AsyncConnection, now: datetime, grace: timedelta, limit: int = 100
) -> Report:
    """Close the entries whose hold exists (in any state, `unaddressed` included), then report
    the open ones older than `grace`, and the unreadable decisions."""
    r = required_hold
    opened = exists(
        select(hold.c.hold_id).where(
            hold.c.manifest_id == r.c.manifest_id,
            hold.c.line_id == r.c.line_id,
            hold.c.regime == r.c.regime,
        )
    )
    await conn.execute(
        update(r).where(r.c.reconciled_at.is_(None), opened).values(reconciled_at=now)
    )
    missing = await overdue_gaps(conn, r, MISSING, ("regime", "decision_number"), now, grace, limit)
    unreadable = await unreadable_gaps(conn, unreadable_decision, now, limit)
    return report(SERVICE, now, grace, {MISSING: missing, UNREADABLE: unreadable})
