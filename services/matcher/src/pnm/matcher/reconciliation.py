"""The matcher's half of the completeness invariant: every line manifest-ingest accepted has a
decision. A ledger of its own reads the lines topic and records each line version; the
reconciliation finds those still undecided after the grace time (see `pnm.shared.reconciliation`
and docs/completeness.md)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import (
    accepted_line,
    decision,
    line,
    unprocessable_line,
    unreadable_line,
)
from pnm.matcher.domain.completeness import line_identity
from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import MANIFEST_LINES
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

log = logging.getLogger(__name__)

UNDECIDED = "undecided_line"
SERVICE = "matcher"


class UnreadableLine(ValueError):
    """No manifest_id, line_id and version can be read: recorded as unreadable."""


def ledger(ctx: ServiceContext) -> Ledger:
    return reconciliation_ledger(ctx, MANIFEST_LINES, on_accepted_line, unreadable_line)


# One statement for the batch; a newer version re-opens the entry.
ACCEPTED = LedgerBatch(
    accepted_line,
    "line_digest",
    "version",
    lambda excluded: {
        "version": excluded.version,
        "seen_at": excluded.seen_at,
        "reconciled_at": None,
    },
)


async def on_accepted_line(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    identity = line_identity(event.data)
    if identity is None:
        raise UnreadableLine("the event names no manifest_id, line_id and version")
    ACCEPTED.stage(
        uow,
        {
            "line_digest": identity.digest,
            "manifest_id": identity.manifest_id,
            "line_id": identity.line_id,
            "version": identity.version,
            "seen_at": clock(),
        },
    )


async def reconcile(
    conn: AsyncConnection, now: datetime, grace: timedelta, limit: int = 100
) -> Report:
    """Close the entries decided at their version (or later) since the last round, then
    report the open ones older than `grace`, and the unreadable lines."""
    a = accepted_line
    decided = exists(
        select(line.c.version)
        .join(
            decision,
            and_(
                decision.c.manifest_id == line.c.manifest_id, decision.c.line_id == line.c.line_id
            ),
        )
        .where(
            line.c.manifest_id == a.c.manifest_id,
            line.c.line_id == a.c.line_id,
            line.c.version >= a.c.version,
        )
    )
    unprocessable = exists(
        select(unprocessable_line.c.id).where(
            unprocessable_line.c.line_digest == a.c.line_digest,
            unprocessable_line.c.version >= a.c.version,
        )
    )
    await conn.execute(
        update(a)
        .where(a.c.reconciled_at.is_(None), or_(decided, unprocessable))
        .values(reconciled_at=now)
    )
    undecided = await overdue_gaps(conn, a, UNDECIDED, ("version",), now, grace, limit)
    unreadable = await unreadable_gaps(conn, unreadable_line, now, limit)
    return report(SERVICE, now, grace, {UNDECIDED: undecided, UNREADABLE: unreadable})
