"""The matcher's half of the completeness invariant: every line manifest-ingest accepted has a
decision. A ledger of its own reads the lines topic and records each line version; the
reconciliation finds those still undecided after the grace time (see `pnm.shared.reconciliation`
and docs/completeness.md)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.tables import (
    accepted_line,
    decision,
    line,
    unprocessable_line,
    unreadable_line,
)
from pnm.matcher.domain.completeness import line_identity
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.topics import MANIFEST_LINES
from pnm.shared.db import UnitOfWork
from pnm.shared.reconciliation import (
    UNREADABLE,
    Report,
    overdue_gaps,
    report,
    unreadable_gaps,
)
from pnm.shared.service import Clock, Ledger, ServiceContext
from pnm.shared.versions import keep_newest

log = logging.getLogger(__name__)

UNDECIDED = "undecided_line"
SERVICE = "matcher"


class UnreadableLine(ValueError):
    """No manifest_id, line_id and version can be read: recorded as unreadable."""


def ledger(ctx: ServiceContext) -> Ledger:
    return Ledger(
        name="reconciliation",
        handlers={MANIFEST_LINES.name: partial(on_accepted_line, clock=ctx.clock)},
        unreadable=unreadable_line,
    )


async def on_accepted_line(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    identity = line_identity(event.data)
    if identity is None:
        raise UnreadableLine("the event names no manifest_id, line_id and version")
    staged: dict[bytes, dict[str, Any]] = uow.state.setdefault("ledger.lines", {})
    keep_newest(
        staged,
        identity.digest,
        {
            "line_digest": identity.digest,
            "manifest_id": identity.manifest_id,
            "line_id": identity.line_id,
            "version": identity.version,
            "seen_at": clock(),
        },
        lambda entry: int(entry["version"]),
    )
    uow.before_commit("ledger.lines", _store)


async def _store(uow: UnitOfWork) -> None:
    """One statement for the batch; a newer version re-opens the entry."""
    rows = list(uow.state.pop("ledger.lines", {}).values())
    if not rows:
        return
    stmt = pg_insert(accepted_line)
    await uow.conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[accepted_line.c.line_digest],
            set_={
                "version": stmt.excluded.version,
                "seen_at": stmt.excluded.seen_at,
                "reconciled_at": None,
            },
            # Newer version wins (pnm.shared.versions) in SQL: not upsert_newer, which sets
            # only the columns given; a newer version also clears reconciled_at.
            where=accepted_line.c.version < stmt.excluded.version,
        ),
        rows,
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
