"""The re-send loop: every unanswered instruction to a live terminal is published again (same
instruction id, a new event) when its time comes, with a growing wait, and escalated to
people once it stays unanswered past the escalation time (docs/terminal-protocol.md). The
rules are in `pnm.holds.domain.resend`; this wires them to the tables and the outbox."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import Row, func, select, update
from sqlalchemy.orm import aliased

from pnm.holds import instructions
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.adapters.tables import hold, instruction
from pnm.holds.adapters.terminals import check_shadow_terminals
from pnm.holds.audit import SYSTEM, Action
from pnm.holds.domain.hold import OPEN_STATES, InstructionPurpose
from pnm.holds.domain.resend import UNANSWERED, Plan, ResendPolicy, Unanswered, plan
from pnm.holds.lifecycle import announce, change
from pnm.holds.settings import TerminalProtocolSettings
from pnm.shared.contracts.records import TerminalInstruction
from pnm.shared.contracts.topics import EventType
from pnm.shared.db import UnitOfWork
from pnm.shared.observability import log_fields
from pnm.shared.service import BackgroundLoop, ServiceContext, pause

log = logging.getLogger(__name__)

RESENDS = Counter(
    "pnm_holds_instruction_resends_total",
    "Instructions published again because the terminal had not answered, by terminal",
    ["terminal"],
)
ESCALATIONS = Counter(
    "pnm_holds_escalations_total",
    "Instructions escalated to people, unanswered past PNM_HOLDS_ESCALATE_AFTER_SECONDS, by kind",
    ["kind"],
)
OPEN_ESCALATIONS = Gauge(
    "pnm_holds_open_escalations",
    "Standing holds in front of people (unanswered, rejected, unaddressed), by kind",
    ["kind"],
)
ROUND_SIZE = 500  # instructions per transaction; a backlog is worked off round by round


async def resend_due(uow: UnitOfWork, now: datetime, policy: ResendPolicy) -> int:
    """One round: re-send, escalate or retire what is due (at most ROUND_SIZE instructions,
    locked; another instance skips them). Returns how many were looked at. The caller
    commits."""
    later = aliased(instruction)
    later_to_same_terminal = (
        select(later.c.instruction_id)
        .where(
            later.c.hold_id == instruction.c.hold_id,
            later.c.terminal == instruction.c.terminal,
            later.c.sequence > instruction.c.sequence,
        )
        .exists()
    )
    rows = (
        await uow.conn.execute(
            select(
                instruction, hold.c.current_instruction_id, later_to_same_terminal.label("later")
            )
            .join(hold, hold.c.hold_id == instruction.c.hold_id)
            .where(
                instruction.c.ack_result.is_(None),
                instruction.c.delivery == "kafka",
                instruction.c.next_attempt_at <= now,
            )
            .order_by(instruction.c.next_attempt_at)
            .limit(ROUND_SIZE)
            .with_for_update(of=instruction, skip_locked=True)
        )
    ).all()
    store = PostgresHoldStore(uow)
    for row in rows:
        decided = plan(policy, now, _unanswered(row))
        if decided is not None:
            await _carry_out(uow, store, row, decided, now)
    return len(rows)


def _unanswered(row: Row[Any]) -> Unanswered:
    purpose = InstructionPurpose(row.purpose)
    if purpose is InstructionPurpose.STAND_DOWN:
        superseded = bool(row.later)
    else:
        superseded = row.instruction_id != row.current_instruction_id
    return Unanswered(
        instruction_id=row.instruction_id,
        purpose=purpose,
        issued_at=row.issued_at,
        sends=row.attempts,
        next_attempt_at=row.next_attempt_at,
        escalated=row.escalated_at is not None,
        superseded=superseded,
    )


async def _carry_out(
    uow: UnitOfWork, store: PostgresHoldStore, row: Row[Any], decided: Plan, now: datetime
) -> None:
    values: dict[str, Any] = {
        "attempts": decided.sends,
        "next_attempt_at": decided.next_attempt_at,
    }
    if decided.escalate:
        values["escalated_at"] = now
    await uow.conn.execute(
        update(instruction)
        .where(instruction.c.instruction_id == row.instruction_id)
        .values(**values)
    )
    if decided.resend:
        instructions.publish(store, TerminalInstruction.model_validate(row.payload))
        RESENDS.labels(row.terminal).inc()
    if decided.escalate:
        await _escalate(store, row, decided, now)


async def _escalate(store: PostgresHoldStore, row: Row[Any], decided: Plan, now: datetime) -> None:
    """Put the unanswered instruction in front of people: on the hold when it is the one whose
    answer moves the hold (a stand-down is escalated on its own), an event and a metric."""
    kind = UNANSWERED[InstructionPurpose(row.purpose)]
    waited = int((now - row.issued_at).total_seconds())
    detail = (
        f"{kind}: {row.action} #{row.sequence} to {row.terminal} ({row.instruction_id}) "
        f"unanswered after {row.attempts} send(s) in {waited} s"
    )
    held = await store.hold(row.hold_id)
    if row.instruction_id == held.current_instruction_id:
        held = await change(
            store,
            held,
            now,
            SYSTEM,
            "hold.escalated",
            {"escalation": kind, "escalated_at": now},
            detail=detail,
        )
    else:
        await store.audit(
            Action(
                SYSTEM,
                "instruction.escalated",
                "instruction",
                row.instruction_id,
                now,
                detail=detail,
            )
        )
    announce(
        store,
        held,
        now,
        SYSTEM,
        EventType.HOLD_ESCALATED,
        "escalate",
        previous_state=held.state,
        reason=detail,
    )
    ESCALATIONS.labels(kind).inc()
    log.warning("instruction escalated", extra=log_fields(hold_id=row.hold_id, detail=detail))


async def count_open_escalations(uow: UnitOfWork) -> dict[str, int]:
    counted = await uow.conn.execute(
        select(hold.c.escalation, func.count())
        .where(hold.c.escalation.is_not(None), hold.c.state.in_([s.value for s in OPEN_STATES]))
        .group_by(hold.c.escalation)
    )
    return {kind: int(n) for kind, n in counted.all()}


def resend_loop(ctx: ServiceContext, settings: TerminalProtocolSettings) -> BackgroundLoop:
    """Every PNM_HOLDS_RESEND_INTERVAL_SECONDS: re-send and escalate what is due (rounds until
    none is left), then refresh the gauge of open escalations. Refuses an unregistered
    shadow terminal (at start)."""
    check_shadow_terminals(settings)
    policy = settings.resend_policy()
    seen: set[str] = set()

    async def run(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                while True:
                    async with ctx.uow_factory() as uow:
                        looked_at = await resend_due(uow, ctx.clock(), policy)
                        await uow.commit()
                    if looked_at < ROUND_SIZE or stopping.is_set():
                        break
                async with ctx.uow_factory() as uow:
                    open_now = await count_open_escalations(uow)
                for kind in seen | set(open_now):
                    OPEN_ESCALATIONS.labels(kind).set(open_now.get(kind, 0))
                seen.update(open_now)
            except Exception as err:
                log.warning("re-send round failed", extra=log_fields(error=repr(err)))
            await pause(stopping, settings.resend_interval_seconds)

    return run
