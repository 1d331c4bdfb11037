"""What a matcher decision does to a line's holds: staged per batch, the latest decision of a
line taken as its current one, then each regime's hold opened, addressed, moved, or asked to
be released. The caller commits. docs/holds.md has the rules."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from pnm.holds import instructions
from pnm.holds.adapters.postgres_store import PostgresHoldStore
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
from pnm.holds.lifecycle import change, facts, step
from pnm.holds.opening import Line, open_hold
from pnm.holds.store import Hold, HoldStore
from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Decision, DecisionStatus, LineKey, Regime
from pnm.shared.db import UnitOfWork
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
    staged: dict[tuple[str, str], Decision] = uow.state.pop(STAGED, {})
    await apply_decisions(PostgresHoldStore(uow), list(staged.values()), now)


async def apply_decisions(store: HoldStore, decisions: list[Decision], now: datetime) -> None:
    """A batch's decisions, the latest of each line: each taken as its line's current one unless
    a later one was applied, in two questions for all of them; only a line that needs a hold
    or has one is then worked on its own (most decisions need nothing: notified, waiting,
    not controlled)."""
    if not decisions:
        return
    by_line: dict[LineKey, Decision] = {}
    for d in decisions:
        keep_newest(by_line, (d.manifest_id, d.line_id), d, lambda d: d.decision_number)
    current = await store.take_as_current(list(by_line.values()))
    held = await store.lines_with_standing_holds(current)
    for key in sorted(current):
        decided = by_line[key]
        if key in held or any(d.status in HOLD_REQUIRED for d in decided.per_regime):
            await apply_current(store, decided, now)


async def apply_current(store: HoldStore, decided: Decision, now: datetime) -> None:
    """A line's current decision, applied to each regime's hold."""
    statuses = {d.regime.value: d.status for d in decided.per_regime}
    # A regime the line no longer falls under is a regime it need not be held for.
    for regime in await store.standing_regimes(decided.manifest_id, decided.line_id):
        statuses.setdefault(regime, DecisionStatus.NOT_CONTROLLED)
    for regime, status in statuses.items():
        await apply_decision(store, decided, Regime(regime), status, now)


async def apply_decision(
    store: HoldStore, decided: Decision, regime: Regime, status: DecisionStatus, now: datetime
) -> None:
    row = await store.standing(decided.manifest_id, decided.line_id, regime.value)
    effects = effects_of_decision(
        facts(row) if row is not None else None, status, decided.terminal, known_terminals()
    )
    why = f"decision {decided.decision_number}: {status.value}"
    for effect in effects:
        if effect is Effect.OPEN:
            row = await open_hold(store, Line.of(decided), regime, status.value, now)
            continue
        assert row is not None  # every other effect is of a standing hold
        if effect is Effect.ADDRESS:
            row = await _address(store, row, decided, now)
        elif effect is Effect.MOVE:
            row = await _move(store, row, decided, now)
        elif effect is Effect.REQUEST_RELEASE:
            row = await step(
                store,
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
                store,
                row,
                Transition.WITHDRAW_RELEASE_REQUEST,
                now,
                SYSTEM,
                reason=why,
                release_reason=None,
                release_requested_at=None,
            )
    if row is not None and newer_wins(row.decision_number, decided.decision_number):
        await store.note_decision(row.hold_id, decided.decision_number)


async def _address(store: HoldStore, row: Hold, decided: Decision, now: datetime) -> Hold:
    """A decision naming the terminal of a hold opened without one: instruct it now."""
    row = await change(
        store,
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
    row = await instructions.issue(store, row, InstructionPurpose.BLOCK, now, SYSTEM)
    return await step(store, row, Transition.INSTRUCT_BLOCK, now, SYSTEM)


async def _move(store: HoldStore, row: Hold, decided: Decision, now: datetime) -> Hold:
    """The cargo is at another terminal: the block follows the container there, and the
    terminal it left is told to stand down."""
    left = row.terminal
    assert decided.terminal is not None
    row = await change(
        store,
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
    row = await instructions.issue(store, row, InstructionPurpose.BLOCK, now, SYSTEM)
    row = await instructions.issue(
        store,
        row,
        InstructionPurpose.STAND_DOWN,
        now,
        SYSTEM,
        terminal=left,
        reason=f"stand down: the cargo moved to terminal {decided.terminal}",
    )
    if HoldState(row.state) in (HoldState.ACKNOWLEDGED, HoldState.BLOCK_REJECTED):
        row = await step(store, row, Transition.INSTRUCT_BLOCK, now, SYSTEM, reason="moved")
    return row
