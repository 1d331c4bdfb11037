"""Service layer of a hold's life. Every state change goes through `step`: a compare-and-set
on the row that publishes the change and writes the audit entry. The caller commits.

docs/holds.md describes the lifecycle; the rules are in `pnm.holds.domain.hold`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Row, select, update

from pnm.holds import audit
from pnm.holds.adapters.tables import hold
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import (
    FINAL,
    OPEN_STATES,
    BlockStatus,
    HoldFacts,
    HoldState,
    Origin,
    Transition,
    apply,
)
from pnm.shared.contracts.records import HoldStateChanged
from pnm.shared.contracts.topics import HOLD_STATES, EventType
from pnm.shared.db import UnitOfWork
from pnm.shared.messaging.source import EventSource

SOURCE = EventSource("/pnm/holds")


class UnknownHold(LookupError):
    pass


class ConcurrentChange(RuntimeError):
    """The row changed between reading and writing it: the caller's transaction is retried."""


def facts(row: Row[Any]) -> HoldFacts:
    return HoldFacts(
        state=HoldState(row.state),
        block=BlockStatus(row.block_status),
        terminal=row.terminal,
        origin=Origin(row.origin),
    )


def snapshot(row: Row[Any]) -> dict[str, Any]:
    """The hold as the audit trail keeps it, before and after an action."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row._mapping.items()}


async def locked(uow: UnitOfWork, key: Column[Any], value: str, missing: Exception) -> Row[Any]:
    """The row of `key`'s table whose `key` is `value`, locked for this transaction."""
    row = (await uow.conn.execute(select(key.table).where(key == value).with_for_update())).first()
    if row is None:
        raise missing
    return row


async def load(uow: UnitOfWork, hold_id: str) -> Row[Any]:
    """The hold, locked for this transaction."""
    return await locked(uow, hold.c.hold_id, hold_id, UnknownHold(f"no hold {hold_id!r}"))


async def standing(uow: UnitOfWork, manifest_id: str, line_id: str, regime: str) -> Row[Any] | None:
    """The line's standing (not released, not refused) hold for `regime`, locked."""
    return (
        await uow.conn.execute(
            select(hold)
            .where(
                hold.c.manifest_id == manifest_id,
                hold.c.line_id == line_id,
                hold.c.regime == regime,
                hold.c.state.in_([s.value for s in OPEN_STATES]),
            )
            .with_for_update()
        )
    ).first()


async def standing_regimes(uow: UnitOfWork, manifest_id: str, line_id: str) -> list[str]:
    rows = await uow.conn.execute(
        select(hold.c.regime).where(
            hold.c.manifest_id == manifest_id,
            hold.c.line_id == line_id,
            hold.c.state.in_([s.value for s in OPEN_STATES]),
        )
    )
    return [r.regime for r in rows]


async def change(
    uow: UnitOfWork,
    row: Row[Any],
    now: datetime,
    actor: Actor,
    action: str,
    values: Mapping[str, Any],
    *,
    detail: str | None = None,
) -> Row[Any]:
    """Write `values` to the hold if it is still as read (compare-and-set on its state and
    update time), and audit it; no state-change event (see `step` for those)."""
    result = await uow.conn.execute(
        update(hold)
        .where(
            hold.c.hold_id == row.hold_id,
            hold.c.state == row.state,
            hold.c.updated_at == row.updated_at,
        )
        .values(updated_at=now, **values)
        .returning(hold)
    )
    new: Row[Any] | None = result.first()
    if new is None:
        raise ConcurrentChange(f"hold {row.hold_id} changed concurrently")
    await audit.record(
        uow.conn,
        actor=actor,
        action=action,
        subject_type="hold",
        subject_id=row.hold_id,
        at=now,
        before=snapshot(row),
        after=snapshot(new),
        detail=detail,
    )
    return new


async def step(
    uow: UnitOfWork,
    row: Row[Any],
    transition: Transition,
    now: datetime,
    actor: Actor,
    *,
    reason: str | None = None,
    **values: Any,
) -> Row[Any]:
    """Take one named transition (IllegalTransition when the state does not allow it)."""
    target = apply(HoldState(row.state), transition, BlockStatus(row.block_status))
    if target in FINAL:
        values["closed_at"] = now
    new = await change(
        uow,
        row,
        now,
        actor,
        f"hold.{transition.value}",
        {"state": target.value, **values},
        detail=reason,
    )
    announce(
        uow,
        new,
        now,
        actor,
        EventType.HOLD_STATE_CHANGED,
        transition.value,
        previous_state=row.state,
        reason=reason,
    )
    return new


def announce(
    uow: UnitOfWork,
    new: Row[Any],
    now: datetime,
    actor: Actor,
    event_type: str,
    transition: str,
    *,
    previous_state: str,
    reason: str | None,
) -> None:
    """Publish the hold as it now is on holds.states.v1 (a state change, or an escalation)."""
    published = HoldStateChanged(
        hold_id=new.hold_id,
        manifest_id=new.manifest_id,
        line_id=new.line_id,
        regime=new.regime,
        authority=new.authority,
        state=new.state,
        terminal=new.terminal,
        containers=list(new.containers),
        at=now,
        transition=transition,
        previous_state=previous_state,
        block_status=new.block_status,
        reason=reason,
        by=actor.subject,
        escalation=new.escalation,
    )
    SOURCE.publish(uow, HOLD_STATES, new.hold_id, event_type, published)
