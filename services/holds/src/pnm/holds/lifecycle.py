"""Service layer of a hold's life. Every state change goes through `step`: a compare-and-set
on the hold (`HoldStore.update_hold`) that publishes the change and writes the audit entry.
The caller commits.

docs/holds.md describes the lifecycle; the rules are in `pnm.holds.domain.hold`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pnm.holds.audit import Action, Actor
from pnm.holds.domain.hold import (
    FINAL,
    BlockStatus,
    HoldFacts,
    HoldState,
    Origin,
    Transition,
    apply,
)
from pnm.holds.store import Hold, HoldStore, snapshot
from pnm.shared.contracts.records import HoldStateChanged
from pnm.shared.contracts.topics import HOLD_STATES, EventType


def facts(kept: Hold) -> HoldFacts:
    return HoldFacts(
        state=HoldState(kept.state),
        block=BlockStatus(kept.block_status),
        terminal=kept.terminal,
        origin=Origin(kept.origin),
    )


async def change(
    store: HoldStore,
    kept: Hold,
    now: datetime,
    actor: Actor,
    action: str,
    values: Mapping[str, Any],
    *,
    detail: str | None = None,
) -> Hold:
    """Write `values` to the hold if it is still as read (compare-and-set on its state and
    update time), and audit it; no state-change event (see `step` for those)."""
    new = await store.update_hold(kept, values, now)
    before, after = snapshot(kept), snapshot(new)
    await store.audit(
        Action(actor, action, "hold", kept.hold_id, now, before, after, detail=detail)
    )
    return new


async def step(
    store: HoldStore,
    kept: Hold,
    transition: Transition,
    now: datetime,
    actor: Actor,
    *,
    reason: str | None = None,
    **values: Any,
) -> Hold:
    """Take one named transition (IllegalTransition when the state does not allow it)."""
    target = apply(HoldState(kept.state), transition, BlockStatus(kept.block_status))
    if target in FINAL:
        values["closed_at"] = now
    new = await change(
        store,
        kept,
        now,
        actor,
        f"hold.{transition.value}",
        {"state": target.value, **values},
        detail=reason,
    )
    announce(
        store,
        new,
        now,
        actor,
        EventType.HOLD_STATE_CHANGED,
        transition.value,
        previous_state=kept.state,
        reason=reason,
    )
    return new


def announce(
    store: HoldStore,
    new: Hold,
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
    store.publish(HOLD_STATES, new.hold_id, event_type, published)
