"""Service layer of the holds service: open holds for decisions that need one, instruct the
terminal, and take its acknowledgements. The caller commits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.holds.adapters.tables import hold, instruction
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.domain.hold import (
    AUTHORITY,
    HOLD_REQUIRED,
    HoldState,
    state_after_ack,
    transition,
    unaddressable,
)
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import (
    Decision,
    HoldStateChanged,
    Regime,
    TerminalAck,
    TerminalInstruction,
)
from pnm.shared.contracts.topics import HOLD_STATES, TERMINAL_INSTRUCTIONS, EventType
from pnm.shared.db import UnitOfWork
from pnm.shared.service import Clock

SOURCE = "/pnm/holds"


class UnknownInstruction(LookupError):
    pass


class WrongTerminal(PermissionError):
    pass


UNADDRESSED_HOLDS = Counter(
    "pnm_holds_unaddressed_total",
    "Holds opened without a terminal to instruct (state unaddressed), by reason",
    ["reason"],
)


async def on_decision(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    decided = Decision.model_validate(event.data)
    for regime_decision in decided.per_regime:
        if regime_decision.status in HOLD_REQUIRED:
            await open_hold(uow, decided, regime_decision.regime, clock())


async def open_hold(
    uow: UnitOfWork, decided: Decision, regime: Regime, now: datetime
) -> str | None:
    """Open the line's hold for `regime` unless it exists; returns the new hold's id. A hold
    that cannot be addressed to a terminal is opened `unaddressed` (fail closed), and
    instructed by a later decision that names the terminal."""
    status = next(d.status for d in decided.per_regime if d.regime is regime)
    created = await uow.conn.execute(
        pg_insert(hold)
        .values(
            hold_id=str(uuid.uuid4()),
            manifest_id=decided.manifest_id,
            line_id=decided.line_id,
            regime=regime.value,
            authority=AUTHORITY[regime].value,
            state=HoldState.REQUESTED.value,
            terminal=decided.terminal or "",
            containers=decided.containers,
            transport_document=decided.transport_document,
            reason=status.value,
            decision_number=decided.decision_number,
            goods=[g.model_dump(mode="json") for g in decided.goods] or None,
            opened_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(constraint="uq_hold_line_regime")
        .returning(hold)
    )
    row = created.first()
    if row is None:
        await _address_unaddressed(uow, decided, regime, now)
        return None
    if (why := unaddressable(decided.terminal, known_terminals())) is not None:
        await _set_state(uow, row, HoldState.REQUESTED, HoldState.UNADDRESSED, now)
        UNADDRESSED_HOLDS.labels(why).inc()
        return str(row.hold_id)
    await _instruct_block(uow, row, now)
    return str(row.hold_id)


async def _address_unaddressed(
    uow: UnitOfWork, decided: Decision, regime: Regime, now: datetime
) -> None:
    """A decision naming the terminal of a hold opened without one: instruct it now."""
    if unaddressable(decided.terminal, known_terminals()) is not None:
        return
    addressed = await uow.conn.execute(
        update(hold)
        .where(
            hold.c.manifest_id == decided.manifest_id,
            hold.c.line_id == decided.line_id,
            hold.c.regime == regime.value,
            hold.c.state == HoldState.UNADDRESSED.value,
        )
        .values(
            terminal=decided.terminal,
            containers=decided.containers,
            transport_document=decided.transport_document,
            updated_at=now,
        )
        .returning(hold)
    )
    row = addressed.first()
    if row is not None:
        await _instruct_block(uow, row, now)


async def _instruct_block(uow: UnitOfWork, row: Row[Any], now: datetime) -> None:
    sent = TerminalInstruction(
        instruction_id=str(uuid.uuid4()),
        hold_id=row.hold_id,
        action="block",
        terminal=row.terminal,
        containers=list(row.containers),
        transport_document=row.transport_document,
        manifest_id=row.manifest_id,
        line_id=row.line_id,
        authority=row.authority,
        reason=row.reason,
        issued_at=now,
        sequence=1,
    )
    await uow.conn.execute(
        insert(instruction).values(
            instruction_id=sent.instruction_id,
            hold_id=row.hold_id,
            action=sent.action,
            terminal=sent.terminal,
            sequence=sent.sequence,
            payload=sent.model_dump(mode="json"),
            issued_at=now,
        )
    )
    uow.publish(
        TERMINAL_INSTRUCTIONS,
        sent.terminal,
        new_event(
            type=EventType.TERMINAL_INSTRUCTION,
            source=SOURCE,
            subject=sent.instruction_id,
            record=sent,
        ),
    )
    await _set_state(
        uow, row, HoldState(row.state), transition(HoldState(row.state), HoldState.INSTRUCTED), now
    )


async def _set_state(
    uow: UnitOfWork, row: Row[Any], current: HoldState, target: HoldState, now: datetime
) -> None:
    # Compare-and-set: the update only applies to the state we decided from.
    result = await uow.conn.execute(
        update(hold)
        .where(hold.c.hold_id == row.hold_id, hold.c.state == current.value)
        .values(state=target.value, updated_at=now)
    )
    if result.rowcount != 1:
        raise RuntimeError(f"hold {row.hold_id} changed concurrently (expected {current.value})")
    change = HoldStateChanged(
        hold_id=row.hold_id,
        manifest_id=row.manifest_id,
        line_id=row.line_id,
        regime=row.regime,
        authority=row.authority,
        state=target.value,
        terminal=row.terminal,
        containers=list(row.containers),
        at=now,
    )
    uow.publish(
        HOLD_STATES,
        row.hold_id,
        new_event(
            type=EventType.HOLD_STATE_CHANGED, source=SOURCE, subject=row.hold_id, record=change
        ),
    )


@dataclass(frozen=True)
class AckOutcome:
    instruction_id: str
    hold_id: str
    hold_state: HoldState
    duplicate: bool


async def acknowledge(uow: UnitOfWork, ack: TerminalAck, now: datetime) -> AckOutcome:
    sent = (
        await uow.conn.execute(
            select(instruction)
            .where(instruction.c.instruction_id == ack.instruction_id)
            .with_for_update()
        )
    ).first()
    if sent is None:
        raise UnknownInstruction(f"no instruction {ack.instruction_id!r}")
    if sent.terminal != ack.terminal:
        raise WrongTerminal(
            f"instruction {ack.instruction_id} was sent to terminal {sent.terminal}, "
            f"not {ack.terminal}"
        )
    held = (
        await uow.conn.execute(select(hold).where(hold.c.hold_id == sent.hold_id).with_for_update())
    ).one()
    current = HoldState(held.state)
    if sent.ack_result == ack.result:
        return AckOutcome(sent.instruction_id, sent.hold_id, current, duplicate=True)
    await uow.conn.execute(
        update(instruction)
        .where(instruction.c.instruction_id == ack.instruction_id)
        .values(ack_result=ack.result, ack_detail=ack.detail, acknowledged_at=ack.at)
    )
    target = state_after_ack(current, applied=ack.result == "applied")
    if target is not None:
        await _set_state(uow, held, current, target, now)
    return AckOutcome(sent.instruction_id, sent.hold_id, target or current, duplicate=False)


async def on_terminal_ack(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    await acknowledge(uow, TerminalAck.model_validate(event.data), clock())
