"""Opening a hold: for a line whose decision needs one (`decisions`) or blocked by hand
(`manual`), instructing its terminal, or `unaddressed` when there is none to instruct. The
caller commits. docs/holds.md has the rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter

from pnm.holds import cases, instructions
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.audit import SYSTEM, Actor
from pnm.holds.domain.hold import (
    BlockStatus,
    HoldState,
    InstructionPurpose,
    Origin,
    Transition,
    unaddressable,
)
from pnm.holds.lifecycle import step
from pnm.holds.store import Hold, HoldStore
from pnm.shared.competence import AUTHORITY_OF_REGIME
from pnm.shared.contracts.records import Decision, Regime


@dataclass(frozen=True)
class Line:
    """What a hold needs to know of its line: which it is and where its cargo is."""

    manifest_id: str
    line_id: str
    terminal: str | None
    containers: list[str]
    transport_document: str | None
    decision_number: int
    goods: tuple[dict[str, Any], ...] = ()  # the decision's goods summary (fee estimate)
    indicators: tuple[str, ...] = ()  # the risk indicators that flagged it (for its case)

    @classmethod
    def of(cls, decided: Decision) -> Line:
        return cls(
            decided.manifest_id,
            decided.line_id,
            decided.terminal,
            decided.containers,
            decided.transport_document,
            decided.decision_number,
            tuple(g.model_dump(mode="json") for g in decided.goods),
            cases.flagging_indicators(decided),
        )


UNADDRESSED_HOLDS = Counter(
    "pnm_holds_unaddressed_total",
    "Holds opened without a terminal to instruct (state unaddressed), by reason",
    ["reason"],
)


async def open_hold(
    store: HoldStore,
    line: Line,
    regime: Regime,
    reason: str,
    now: datetime,
    *,
    origin: Origin = Origin.DECISION,
    actor: Actor = SYSTEM,
) -> Hold:
    """Open the line's hold for `regime` and instruct its terminal (AlreadyHeld when one
    stands); a hold that cannot be addressed to one is opened `unaddressed` (fail closed), in
    front of people."""
    opened = await store.open_hold(
        Hold(
            hold_id=str(uuid.uuid4()),
            manifest_id=line.manifest_id,
            line_id=line.line_id,
            regime=regime.value,
            authority=AUTHORITY_OF_REGIME[regime].value,
            state=HoldState.REQUESTED.value,
            block_status=BlockStatus.NONE.value,
            origin=origin.value,
            terminal=line.terminal or "",
            containers=tuple(line.containers),
            transport_document=line.transport_document,
            destination=None,
            reason=reason,
            decision_number=line.decision_number,
            current_instruction_id=None,
            last_sequence=0,
            placed_by=None if origin is Origin.DECISION else actor.subject,
            release_reason=None,
            release_requested_at=None,
            released_by=None,
            released_at=None,
            outcome=None,
            escalation=None,
            escalated_at=None,
            opened_at=now,
            updated_at=now,
            goods=list(line.goods) or None,
            closed_at=None,
        )
    )
    await cases.open_for(store, line.manifest_id, line.line_id, line.indicators, opened, now, actor)
    if (why := unaddressable(line.terminal, known_terminals())) is not None:
        UNADDRESSED_HOLDS.labels(why).inc()
        return await step(
            store,
            opened,
            Transition.ADDRESS_MISSING,
            now,
            actor,
            reason=why,
            escalation=why,
            escalated_at=now,
        )
    opened = await instructions.issue(store, opened, InstructionPurpose.BLOCK, now, actor)
    return await step(store, opened, Transition.INSTRUCT_BLOCK, now, actor)
