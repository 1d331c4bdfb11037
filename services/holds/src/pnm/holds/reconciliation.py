"""The holds service's half of the completeness invariant: every decision that needs a hold
has one. A ledger of its own reads the decisions topic and records each (line, regime) that
needs a hold; the reconciliation finds those without a hold after the grace time (see
`pnm.shared.reconciliation` and docs/completeness.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import and_, case, exists, or_, select, update
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
from pnm.shared.versions import keep_newest

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
        regime = regime_decision.regime.value
        key = digest(decided.manifest_id, decided.line_id, regime)
        keep_newest(
            staged,
            key,
            {
                "digest": key,
                "manifest_id": decided.manifest_id,
                "line_id": decided.line_id,
                "regime": regime,
                "decision_number": decided.decision_number,
                "needs_hold": regime_decision.status in HOLD_REQUIRED,
                "seen_at": clock(),
            },
            lambda entry: int(entry["decision_number"]),
        )
    uow.before_commit("ledger.holds", _store)


async def _store(uow: UnitOfWork) -> None:
    """One statement for the batch. The entry follows the line's latest decision (a need a
    later decision withdrew is no gap); a need keeps the time it was first seen, and a need
    that comes back is open again."""
    rows = list(uow.state.pop("ledger.holds", {}).values())
    if not rows:
        return
    r = required_hold
    statement = pg_insert(r)
    await uow.conn.execute(
        statement.on_conflict_do_update(
            index_elements=[r.c.digest],
            set_={
                "decision_number": statement.excluded.decision_number,
                "needs_hold": statement.excluded.needs_hold,
                "seen_at": case(
                    (and_(r.c.needs_hold, statement.excluded.needs_hold), r.c.seen_at),
                    else_=statement.excluded.seen_at,
                ),
                "reconciled_at": case(
                    (and_(r.c.needs_hold, statement.excluded.needs_hold), r.c.reconciled_at),
                    else_=None,
                ),
            },
            # Newer version wins (pnm.shared.versions) in SQL: not upsert_newer, which
            # replaces every column given; here seen_at and reconciled_at may be kept.
            where=r.c.decision_number < statement.excluded.decision_number,
        ),
        rows,
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
