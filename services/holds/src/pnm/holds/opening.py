"""Opening a hold: for a line whose decision needs one (`decisions`) or blocked by hand
(`manual`), instructing its terminal, or `unaddressed` when there is none to instruct. The
caller commits. docs/holds.md has the rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from sqlalchemy import Row
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.holds import cases, instructions
from pnm.holds.adapters.tables import STANDING_HOLD, hold
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.audit import SYSTEM, Actor
from pnm.holds.domain.hold import (
    AUTHORITY,
    HoldState,
    InstructionPurpose,
    Origin,
    Transition,
    unaddressable,
)
from pnm.holds.lifecycle import standing, step
from pnm.shared.contracts.records import Decision, Regime
from pnm.shared.db import UnitOfWork


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


class AlreadyHeld(ValueError):
    def __init__(self, hold_id: str) -> None:
        super().__init__(f"the line already has a standing hold for this regime: {hold_id}")
        self.hold_id = hold_id


UNADDRESSED_HOLDS = Counter(
    "pnm_holds_unaddressed_total",
    "Holds opened without a terminal to instruct (state unaddressed), by reason",
    ["reason"],
)


async def open_hold(
    uow: UnitOfWork,
    line: Line,
    regime: Regime,
    reason: str,
    now: datetime,
    *,
    origin: Origin = Origin.DECISION,
    actor: Actor = SYSTEM,
) -> Row[Any]:
    """Open the line's hold for `regime` and instruct its terminal; a hold that cannot be
    addressed to one is opened `unaddressed` (fail closed), in front of people."""
    created = await uow.conn.execute(
        pg_insert(hold)
        .values(
            hold_id=str(uuid.uuid4()),
            manifest_id=line.manifest_id,
            line_id=line.line_id,
            regime=regime.value,
            authority=AUTHORITY[regime].value,
            state=HoldState.REQUESTED.value,
            origin=origin.value,
            placed_by=None if origin is Origin.DECISION else actor.subject,
            terminal=line.terminal or "",
            containers=line.containers,
            transport_document=line.transport_document,
            reason=reason,
            decision_number=line.decision_number,
            goods=list(line.goods) or None,
            opened_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[hold.c.manifest_id, hold.c.line_id, hold.c.regime],
            index_where=STANDING_HOLD,
        )
        .returning(hold)
    )
    row = created.first()
    if row is None:  # another instance opened it a moment ago
        existing = await standing(uow, line.manifest_id, line.line_id, regime.value)
        assert existing is not None
        raise AlreadyHeld(existing.hold_id)
    await cases.open_for(uow, line.manifest_id, line.line_id, line.indicators, row, now, actor)
    if (why := unaddressable(line.terminal, known_terminals())) is not None:
        UNADDRESSED_HOLDS.labels(why).inc()
        return await step(
            uow,
            row,
            Transition.ADDRESS_MISSING,
            now,
            actor,
            reason=why,
            escalation=why,
            escalated_at=now,
        )
    row = await instructions.issue(uow, row, InstructionPurpose.BLOCK, now, actor)
    return await step(uow, row, Transition.INSTRUCT_BLOCK, now, actor)
