"""What a matcher decision does to a line's holds: staged per batch, the latest decision of a
line taken as its current one, then each regime's hold opened, addressed, moved, or asked to
be released. The caller commits. docs/holds.md has the rules."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Row, select, tuple_, update

from pnm.holds import instructions
from pnm.holds.adapters.tables import STANDING_HOLD, hold, line_decision
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.audit import SYSTEM
from pnm.holds.domain.hold import (
    HOLD_REQUIRED,
    Effect,
    HoldState,
    InstructionPurpose,
    Transition,
    effects_of_decision,
)
from pnm.holds.lifecycle import change, facts, standing, standing_regimes, step
from pnm.holds.opening import Line, open_hold
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Decision, DecisionStatus, Regime
from pnm.shared.db import UnitOfWork, upsert_newer
from pnm.shared.service import Clock
from pnm.shared.versions import keep_newest, newer_wins


async def on_decision(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """Staged, and applied when the batch commits: of several decisions of one line in a
    batch (a consumer catching up), only the latest acts; an earlier one would send a block
    that its successor already made needless."""
    decided = Decision.model_validate(event.data)
    staged: dict[tuple[str, str], Decision] = uow.state.setdefault(STAGED, {})
    key = (decided.manifest_id, decided.line_id)
    keep_newest(staged, key, decided, lambda d: d.decision_number)
    uow.before_commit(STAGED, partial(_apply_staged, now=clock()))


STAGED = "holds.decisions"


async def _apply_staged(uow: UnitOfWork, now: datetime) -> None:
    """The batch's current decisions, in three statements for all of them; only a line that
    needs a hold or has one is then worked on its own (most decisions need nothing: notified,
    waiting, not controlled)."""
    staged: dict[tuple[str, str], Decision] = uow.state.pop(STAGED, {})
    if not staged:
        return
    current = await _take_as_current(uow, list(staged.values()))
    held = await _lines_with_standing_holds(uow, current)
    for key in sorted(current):
        decided = staged[key]
        if key in held or any(d.status in HOLD_REQUIRED for d in decided.per_regime):
            await apply_current(uow, decided, now)


async def apply_current(uow: UnitOfWork, decided: Decision, now: datetime) -> None:
    """A line's current decision, applied to each regime's hold."""
    statuses = {d.regime.value: d.status for d in decided.per_regime}
    # A regime the line no longer falls under is a regime it need not be held for.
    for regime in await standing_regimes(uow, decided.manifest_id, decided.line_id):
        statuses.setdefault(regime, DecisionStatus.NOT_CONTROLLED)
    for regime, status in statuses.items():
        await apply_decision(uow, decided, Regime(regime), status, now)


async def _take_as_current(uow: UnitOfWork, decisions: list[Decision]) -> set[tuple[str, str]]:
    """Record each decision as its line's current one unless a later (or the same) one was
    applied; returns the lines whose decision was taken. The row locks (taken in key order,
    so two instances cannot deadlock) serialise a line's decisions across instances."""
    rows = sorted(
        (
            {
                "manifest_id": d.manifest_id,
                "line_id": d.line_id,
                "decision_number": d.decision_number,
                "status": d.status.value,
                "terminal": d.terminal,
                "decided_at": d.decided_at,
            }
            for d in decisions
        ),
        key=lambda r: (r["manifest_id"], r["line_id"]),
    )
    taken = await upsert_newer(
        uow.conn, line_decision, rows, ["manifest_id", "line_id"], "decision_number"
    )
    return {(r.manifest_id, r.line_id) for r in taken}


async def _lines_with_standing_holds(
    uow: UnitOfWork, lines: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    if not lines:
        return set()
    found = await uow.conn.execute(
        select(hold.c.manifest_id, hold.c.line_id)
        .where(
            tuple_(hold.c.manifest_id, hold.c.line_id).in_(sorted(lines)),
            STANDING_HOLD,
        )
        .distinct()
    )
    return {(r.manifest_id, r.line_id) for r in found}


async def apply_decision(
    uow: UnitOfWork, decided: Decision, regime: Regime, status: DecisionStatus, now: datetime
) -> None:
    row = await standing(uow, decided.manifest_id, decided.line_id, regime.value)
    effects = effects_of_decision(
        facts(row) if row is not None else None, status, decided.terminal, known_terminals()
    )
    why = f"decision {decided.decision_number}: {status.value}"
    for effect in effects:
        if effect is Effect.OPEN:
            row = await open_hold(uow, Line.of(decided), regime, status.value, now)
            continue
        assert row is not None  # every other effect is of a standing hold
        if effect is Effect.ADDRESS:
            row = await _address(uow, row, decided, now)
        elif effect is Effect.MOVE:
            row = await _move(uow, row, decided, now)
        elif effect is Effect.REQUEST_RELEASE:
            row = await step(
                uow,
                row,
                Transition.REQUEST_RELEASE,
                now,
                SYSTEM,
                reason=why,
                release_reason=why,
                release_requested_at=now,
            )
        elif effect is Effect.WITHDRAW_RELEASE_REQUEST:
            row = await step(
                uow,
                row,
                Transition.WITHDRAW_RELEASE_REQUEST,
                now,
                SYSTEM,
                reason=why,
                release_reason=None,
                release_requested_at=None,
            )
    if row is not None and newer_wins(row.decision_number, decided.decision_number):
        await uow.conn.execute(
            update(hold)
            .where(hold.c.hold_id == row.hold_id)
            .values(decision_number=decided.decision_number)
        )


async def _address(uow: UnitOfWork, row: Row[Any], decided: Decision, now: datetime) -> Row[Any]:
    """A decision naming the terminal of a hold opened without one: instruct it now."""
    row = await change(
        uow,
        row,
        now,
        SYSTEM,
        "hold.addressed",
        {
            "terminal": decided.terminal,
            "containers": decided.containers,
            "transport_document": decided.transport_document,
            "escalation": None,
            "escalated_at": None,
        },
    )
    row = await instructions.issue(uow, row, InstructionPurpose.BLOCK, now, SYSTEM)
    return await step(uow, row, Transition.INSTRUCT_BLOCK, now, SYSTEM)


async def _move(uow: UnitOfWork, row: Row[Any], decided: Decision, now: datetime) -> Row[Any]:
    """The cargo is at another terminal: the block follows the container there, and the
    terminal it left is told to stand down."""
    left = row.terminal
    assert decided.terminal is not None
    row = await change(
        uow,
        row,
        now,
        SYSTEM,
        "hold.moved",
        {
            "terminal": decided.terminal,
            "containers": decided.containers,
            "transport_document": decided.transport_document,
            "escalation": None,
            "escalated_at": None,
        },
        detail=f"from {left} to {decided.terminal}",
    )
    row = await instructions.issue(uow, row, InstructionPurpose.BLOCK, now, SYSTEM)
    row = await instructions.issue(
        uow,
        row,
        InstructionPurpose.STAND_DOWN,
        now,
        SYSTEM,
        terminal=left,
        reason=f"stand down: the cargo moved to terminal {decided.terminal}",
    )
    if HoldState(row.state) in (HoldState.ACKNOWLEDGED, HoldState.BLOCK_REJECTED):
        row = await step(uow, row, Transition.INSTRUCT_BLOCK, now, SYSTEM, reason="moved")
    return row
