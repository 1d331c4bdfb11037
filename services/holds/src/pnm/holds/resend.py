"""The re-send loop: every unanswered instruction to a live terminal is published again (same
instruction id, a new event) when its time comes, with a growing wait, and escalated to
people once it stays unanswered past the escalation time (docs/terminal-protocol.md). The
rules are in `pnm.holds.domain.resend`; this wires them to the holds store."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from prometheus_client import Counter, Gauge

from pnm.holds import instructions, views
from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.adapters.terminals import check_shadow_terminals
from pnm.holds.audit import SYSTEM, Action
from pnm.holds.domain.hold import InstructionPurpose
from pnm.holds.domain.resend import UNANSWERED, Plan, ResendPolicy, Unanswered, plan
from pnm.holds.lifecycle import announce, change
from pnm.holds.settings import TerminalProtocolSettings
from pnm.holds.store import DueResend, HoldStore, Instruction
from pnm.shared.contracts.records import TerminalInstruction
from pnm.shared.contracts.topics import EventType
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


async def resend_due(store: HoldStore, now: datetime, policy: ResendPolicy) -> int:
    """One round: re-send, escalate or retire what is due (at most ROUND_SIZE instructions,
    locked; another instance skips them). Returns how many were looked at. The caller
    commits."""
    due = await store.due_instructions(now, ROUND_SIZE)
    for unanswered in due:
        decided = plan(policy, now, _unanswered(unanswered))
        if decided is not None:
            await _carry_out(store, unanswered, decided, now)
    return len(due)


def _unanswered(due: DueResend) -> Unanswered:
    sent = due.sent
    assert sent.next_attempt_at is not None  # due: it has a next send
    purpose = InstructionPurpose(sent.purpose)
    if purpose is InstructionPurpose.STAND_DOWN:
        superseded = due.later
    else:
        superseded = sent.instruction_id != due.current_instruction_id
    return Unanswered(
        instruction_id=sent.instruction_id,
        purpose=purpose,
        issued_at=sent.issued_at,
        sends=sent.attempts,
        next_attempt_at=sent.next_attempt_at,
        escalated=sent.escalated_at is not None,
        superseded=superseded,
    )


async def _carry_out(store: HoldStore, due: DueResend, decided: Plan, now: datetime) -> None:
    sent = due.sent
    await store.record_plan(decided, now)
    if decided.resend:
        instructions.publish(store, TerminalInstruction.model_validate(sent.payload))
        RESENDS.labels(sent.terminal).inc()
    if decided.escalate:
        await _escalate(store, sent, now)


async def _escalate(store: HoldStore, sent: Instruction, now: datetime) -> None:
    """Put the unanswered instruction in front of people: on the hold when it is the one whose
    answer moves the hold (a stand-down is escalated on its own), an event and a metric."""
    kind = UNANSWERED[InstructionPurpose(sent.purpose)]
    waited = int((now - sent.issued_at).total_seconds())
    detail = (
        f"{kind}: {sent.action} #{sent.sequence} to {sent.terminal} ({sent.instruction_id}) "
        f"unanswered after {sent.attempts} send(s) in {waited} s"
    )
    held = await store.hold(sent.hold_id)
    if sent.instruction_id == held.current_instruction_id:
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
                sent.instruction_id,
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
    log.warning("instruction escalated", extra=log_fields(hold_id=sent.hold_id, detail=detail))


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
                        looked_at = await resend_due(PostgresHoldStore(uow), ctx.clock(), policy)
                        await uow.commit()
                    if looked_at < ROUND_SIZE or stopping.is_set():
                        break
                async with ctx.uow_factory() as uow:
                    open_now = await views.open_escalations(uow.conn)
                for kind in seen | set(open_now):
                    OPEN_ESCALATIONS.labels(kind).set(open_now.get(kind, 0))
                seen.update(open_now)
            except Exception as err:
                log.warning("re-send round failed", extra=log_fields(error=repr(err)))
            await pause(stopping, settings.resend_interval_seconds)

    return run
