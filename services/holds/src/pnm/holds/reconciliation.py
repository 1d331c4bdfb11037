"""The holds service's half of the completeness invariant: every decision that needs a hold
has one. A ledger of its own reads the decisions topic and records each (line, regime) that
needs a hold; the reconciliation finds those without a hold after the grace time (see
`pnm.shared.reconciliation` and docs/completeness.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.holds.adapters.tables import hold, required_hold, unreadable_decision
from pnm.holds.domain.hold import HOLD_REQUIRED
from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Decision
from pnm.shared.contracts.topics import DECISIONS
from pnm.shared.db import UnitOfWork
from pnm.shared.ledger import LedgerBatch, reconciliation_ledger
from pnm.shared.reconciliation import (
    UNREADABLE,
    Report,
    overdue_gaps,
    report,
    unreadable_gaps,
)
from pnm.shared.service import Ledger, ServiceContext
from pnm.shared.text import digest

MISSING = "missing_hold"
SERVICE = "holds"


def ledger(ctx: ServiceContext) -> Ledger:
    return reconciliation_ledger(ctx, DECISIONS, on_decision_seen, unreadable_decision)


def _updates(excluded: Any) -> dict[str, Any]:
    """The entry follows the line's latest decision (a need a later decision withdrew is no
    gap); a need keeps the time it was first seen, and a need that comes back is open again."""
    r = required_hold
    kept = and_(r.c.needs_hold, excluded.needs_hold)
    return {
        "decision_number": excluded.decision_number,
        "needs_hold": excluded.needs_hold,
        "seen_at": case((kept, r.c.seen_at), else_=excluded.seen_at),
        "reconciled_at": case((kept, r.c.reconciled_at), else_=None),
    }


REQUIRED = LedgerBatch(required_hold, "digest", "decision_number", _updates)


async def on_decision_seen(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """A decision that cannot be read raises: the ledger records it as unreadable."""
    decided = Decision.model_validate(event.data)
    for regime_decision in decided.per_regime:
        regime = regime_decision.regime.value
        REQUIRED.stage(
            uow,
            {
                "digest": digest(decided.manifest_id, decided.line_id, regime),
                "manifest_id": decided.manifest_id,
                "line_id": decided.line_id,
                "regime": regime,
                "decision_number": decided.decision_number,
                "needs_hold": regime_decision.status in HOLD_REQUIRED,
                "seen_at": clock(),
            },
        )


async def reconcile(
    conn: AsyncConnection, now: datetime, grace: timedelta, limit: int = 100
) -> Report:
    """Close the entries whose latest decision needs no hold, or whose hold answers for that
    decision (in any state, `unaddressed` and released by the authority included), then
    report the open ones older than `grace`, and the unreadable decisions."""
    r = required_hold
    answered = exists(
        select(hold.c.hold_id).where(
            hold.c.manifest_id == r.c.manifest_id,
            hold.c.line_id == r.c.line_id,
            hold.c.regime == r.c.regime,
            hold.c.decision_number >= r.c.decision_number,
        )
    )
    await conn.execute(
        update(r)
        .where(r.c.reconciled_at.is_(None), or_(~r.c.needs_hold, answered))
        .values(reconciled_at=now)
    )
    missing = await overdue_gaps(conn, r, MISSING, ("regime", "decision_number"), now, grace, limit)
    unreadable = await unreadable_gaps(conn, unreadable_decision, now, limit)
    return report(SERVICE, now, grace, {MISSING: missing, UNREADABLE: unreadable})
