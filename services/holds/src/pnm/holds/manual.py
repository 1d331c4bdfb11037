"""Holds acted on by hand, besides the authority's own actions (`authority`): customs
pre-arrival blocks a line, and a person (customs pre-arrival or the authority) sends a rejected
block again. The caller commits. docs/holds.md has the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pnm.holds import instructions
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import (
    HoldState,
    IllegalTransition,
    InstructionPurpose,
    Origin,
    Transition,
)
from pnm.holds.lifecycle import change, step
from pnm.holds.opening import Line, open_hold
from pnm.holds.store import AlreadyHeld, Hold, HoldStore
from pnm.shared.contracts.records import Regime


async def block_again(
    store: HoldStore, hold_id: str, reason: str, actor: Actor, now: datetime
) -> Hold:
    """A person acts on a rejected block: it is sent again (a new instruction)."""
    row = await store.hold(hold_id)
    if HoldState(row.state) is not HoldState.BLOCK_REJECTED:
        raise IllegalTransition(HoldState(row.state), Transition.INSTRUCT_BLOCK)
    row = await change(
        store,
        row,
        now,
        actor,
        "hold.escalation_cleared",
        {"escalation": None, "escalated_at": None},
    )
    row = await instructions.issue(store, row, InstructionPurpose.BLOCK, now, actor, reason=reason)
    return await step(store, row, Transition.INSTRUCT_BLOCK, now, actor, reason=reason)


@dataclass(frozen=True)
class ManualBlock:
    manifest_id: str
    line_id: str
    regime: Regime
    terminal: str
    containers: list[str]
    transport_document: str | None
    reason: str


async def place_manual_hold(
    store: HoldStore, request: ManualBlock, actor: Actor, now: datetime
) -> Hold:
    """Customs pre-arrival blocks a line by hand, with a reason; the regime's authority
    releases it like any other hold."""
    existing = await store.standing(request.manifest_id, request.line_id, request.regime.value)
    if existing is not None:
        raise AlreadyHeld(existing.hold_id)
    known = await store.decision_number(request.manifest_id, request.line_id)
    line = Line(
        request.manifest_id,
        request.line_id,
        request.terminal,
        request.containers,
        request.transport_document,
        known or 0,
    )
    return await open_hold(
        store,
        line,
        request.regime,
        f"manual: {request.reason}",
        now,
        origin=Origin.MANUAL,
        actor=actor,
    )
