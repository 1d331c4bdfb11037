"""Holds acted on by hand, besides the authority's own actions (`authority`): customs
pre-arrival blocks a line, and a person (customs pre-arrival or the authority) sends a rejected
block again. The caller commits. docs/holds.md has the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, select

from pnm.holds import instructions
from pnm.holds.adapters.tables import line_decision
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import (
    HoldState,
    IllegalTransition,
    InstructionPurpose,
    Origin,
    Transition,
)
from pnm.holds.lifecycle import change, load, standing, step
from pnm.holds.opening import AlreadyHeld, Line, open_hold
from pnm.shared.contracts.records import Regime
from pnm.shared.db import UnitOfWork


async def block_again(
    uow: UnitOfWork, hold_id: str, reason: str, actor: Actor, now: datetime
) -> Row[Any]:
    """A person acts on a rejected block: it is sent again (a new instruction)."""
    row = await load(uow, hold_id)
    if HoldState(row.state) is not HoldState.BLOCK_REJECTED:
        raise IllegalTransition(HoldState(row.state), Transition.INSTRUCT_BLOCK)
    row = await change(
        uow, row, now, actor, "hold.escalation_cleared", {"escalation": None, "escalated_at": None}
    )
    row = await instructions.issue(uow, row, InstructionPurpose.BLOCK, now, actor, reason=reason)
    return await step(uow, row, Transition.INSTRUCT_BLOCK, now, actor, reason=reason)


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
    uow: UnitOfWork, request: ManualBlock, actor: Actor, now: datetime
) -> Row[Any]:
    """Customs pre-arrival blocks a line by hand, with a reason; the regime's authority
    releases it like any other hold."""
    existing = await standing(uow, request.manifest_id, request.line_id, request.regime.value)
    if existing is not None:
        raise AlreadyHeld(existing.hold_id)
    known = (
        await uow.conn.execute(
            select(line_decision.c.decision_number).where(
                line_decision.c.manifest_id == request.manifest_id,
                line_decision.c.line_id == request.line_id,
            )
        )
    ).scalar()
    line = Line(
        request.manifest_id,
        request.line_id,
        request.terminal,
        request.containers,
        request.transport_document,
        known or 0,
    )
    return await open_hold(
        uow,
        line,
        request.regime,
        f"manual: {request.reason}",
        now,
        origin=Origin.MANUAL,
        actor=actor,
    )
