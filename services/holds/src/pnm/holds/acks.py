"""The terminals' answers to instructions: an acknowledgement (applied or rejected), from the
terminal's ack topic or `POST /holds/acks`, moves the hold on or escalates it to people. The
caller commits. docs/terminal-protocol.md has the protocol."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pnm.holds.adapters.postgres_store import PostgresHoldStore
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import (
    HoldState,
    InstructionPurpose,
    block_status_after_ack,
    step_after_ack,
)
from pnm.holds.lifecycle import change, step
from pnm.holds.store import HoldStore
from pnm.shared.clock import Clock
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import TerminalAck
from pnm.shared.db import UnitOfWork
from pnm.shared.roles import terminal_role


class UnknownInstruction(LookupError):
    pass


class WrongTerminal(PermissionError):
    pass


@dataclass(frozen=True)
class AckOutcome:
    instruction_id: str
    hold_id: str
    hold_state: HoldState
    duplicate: bool


async def acknowledge(
    store: HoldStore, ack: TerminalAck, now: datetime, actor: Actor | None = None
) -> AckOutcome:
    sent = await store.instruction(ack.instruction_id)
    if sent is None:
        raise UnknownInstruction(f"no instruction {ack.instruction_id!r}")
    if sent.terminal != ack.terminal:
        raise WrongTerminal(
            f"instruction {ack.instruction_id} was sent to terminal {sent.terminal}, "
            f"not {ack.terminal}"
        )
    held = await store.hold(sent.hold_id)
    if sent.ack_result == ack.result:
        return AckOutcome(sent.instruction_id, sent.hold_id, HoldState(held.state), True)
    applied = ack.result == "applied"
    purpose = InstructionPurpose(sent.purpose)
    latest = sent.instruction_id == held.current_instruction_id
    transition = step_after_ack(HoldState(held.state), purpose, applied, latest)
    await store.record_ack(ack.instruction_id, ack.result, ack.detail, ack.at)
    by = actor or Actor(subject=terminal_role(ack.terminal), roles=(terminal_role(ack.terminal),))
    values: dict[str, Any] = {}
    if latest:
        if purpose is InstructionPurpose.BLOCK:
            values["block_status"] = block_status_after_ack(applied).value
        escalated = None if applied else f"{purpose.value}_rejected"
        values |= {"escalation": escalated, "escalated_at": None if applied else now}
        if purpose is InstructionPurpose.RELEASE and applied:
            values["released_at"] = ack.at
    detail = f"{ack.result} by {ack.terminal}: {ack.detail or ''}".strip(": ")
    if transition is not None:
        held = await step(store, held, transition, now, by, reason=detail, **values)
    else:
        held = await change(
            store, held, now, by, f"instruction.{ack.result}", values, detail=detail
        )
    return AckOutcome(sent.instruction_id, sent.hold_id, HoldState(held.state), False)


class AckOnForeignTopic(PermissionError):
    """An ack on one terminal's topic naming another: whoever may write that topic cannot
    answer for another terminal (it is dead-lettered with this reason; nothing changes)."""


async def on_terminal_ack(
    uow: UnitOfWork, event: CloudEvent, clock: Clock, topic_terminal: str
) -> None:
    ack = TerminalAck.model_validate(event.data)
    if ack.terminal != topic_terminal:
        raise AckOnForeignTopic(
            f"ack names terminal {ack.terminal[:50]!r} but came on terminal "
            f"{topic_terminal}'s ack topic; refused, instruction {ack.instruction_id[:80]!r} "
            "unchanged"
        )
    await acknowledge(PostgresHoldStore(uow), ack, clock())
