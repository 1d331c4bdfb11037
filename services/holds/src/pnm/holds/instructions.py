"""Instructions to terminals: issued for a hold, numbered per hold (a release never overtakes
its block: the terminal applies an instruction only above the last sequence it applied for the
hold), recorded, and published through the outbox on the terminal's own topic, keyed by hold
(one partition per hold keeps its order); a terminal in shadow mode gets nothing. Sent again,
same instruction id, until answered (`resend`). docs/terminal-protocol.md is the protocol.
The caller commits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pnm.holds.adapters.terminals import Delivery, delivery_of
from pnm.holds.audit import Actor
from pnm.holds.domain.hold import BlockStatus, InstructionPurpose
from pnm.holds.domain.resend import first_attempt_after
from pnm.holds.lifecycle import change
from pnm.holds.settings import protocol_settings
from pnm.holds.store import Hold, HoldStore, Instruction
from pnm.shared.contracts.records import TerminalInstruction
from pnm.shared.contracts.topics import EventType, terminal_instructions_topic


async def issue(
    store: HoldStore,
    row: Hold,
    purpose: InstructionPurpose,
    now: datetime,
    actor: Actor,
    *,
    terminal: str | None = None,
    reason: str | None = None,
) -> Hold:
    """Send `purpose` for the hold to `terminal` (default: the hold's), and return the hold as
    updated: its last sequence and, unless a stand-down, its current instruction and block
    status."""
    sent = TerminalInstruction(
        instruction_id=str(uuid.uuid4()),
        hold_id=row.hold_id,
        action="block" if purpose is InstructionPurpose.BLOCK else "release",
        terminal=terminal or row.terminal,
        containers=list(row.containers),
        transport_document=row.transport_document,
        manifest_id=row.manifest_id,
        line_id=row.line_id,
        authority=row.authority,
        reason=reason or row.reason,
        issued_at=now,
        sequence=row.last_sequence + 1,
        destination=row.destination,
    )
    settings = protocol_settings()
    delivery = delivery_of(sent.terminal, settings)
    live = delivery is Delivery.LIVE
    await store.add_instruction(
        Instruction(
            instruction_id=sent.instruction_id,
            hold_id=row.hold_id,
            action=sent.action,
            purpose=purpose.value,
            terminal=sent.terminal,
            sequence=sent.sequence,
            delivery="kafka" if live else "shadow",
            payload=sent.model_dump(mode="json"),
            issued_at=now,
            next_attempt_at=first_attempt_after(settings.resend_policy(), now) if live else None,
        )
    )
    if live:
        publish(store, sent)
    values: dict[str, Any] = {"last_sequence": sent.sequence}
    if purpose is not InstructionPurpose.STAND_DOWN:
        values["current_instruction_id"] = sent.instruction_id
    if purpose is InstructionPurpose.BLOCK:
        values["block_status"] = BlockStatus.PENDING.value
    return await change(
        store,
        row,
        now,
        actor,
        f"instruction.{purpose.value}",
        values,
        detail=f"{sent.action} #{sent.sequence} to {sent.terminal} ({sent.instruction_id})"
        + ("" if live else ", shadow: recorded, not sent"),
    )


def publish(store: HoldStore, sent: TerminalInstruction) -> None:
    """Stage `sent` for its terminal's topic; every send is a new event of the same
    instruction (the terminal de-duplicates by instruction id)."""
    topic = terminal_instructions_topic(sent.terminal)
    store.publish(topic, sent.hold_id, EventType.TERMINAL_INSTRUCTION, sent, sent.instruction_id)
