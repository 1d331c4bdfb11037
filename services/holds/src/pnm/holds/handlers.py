"""Service layer of the holds service: what a decision does to a line's holds, the terminal's
answers, and the actions of people (release by the authority, manual blocks, refusal of the
goods, a block sent again). The caller commits. docs/holds.md has the rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Literal

from prometheus_client import Counter
from sqlalchemy import Row, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.holds import cases, instructions
from pnm.holds.adapters.tables import STANDING_HOLD, hold, instruction, line_decision
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.audit import SYSTEM, Actor
from pnm.holds.domain.hold import (
    AUTHORITY,
    AUTHORITY_ROLE,
    DESTINATION_SETTABLE,
    HOLD_REQUIRED,
    BlockStatus,
    Effect,
    HoldState,
    IllegalTransition,
    InstructionPurpose,
    Origin,
    Transition,
    block_status_after_ack,
    effects_of_decision,
    release_step,
    step_after_ack,
    unaddressable,
)
from pnm.holds.lifecycle import change, facts, load, standing, standing_regimes, step
from pnm.shared.contracts.envelope import CloudEvent
from pnm.shared.contracts.records import Decision, DecisionStatus, Regime, TerminalAck
from pnm.shared.db import UnitOfWork, upsert_newer
from pnm.shared.service import Clock
from pnm.shared.versions import keep_newest, newer_wins


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


class UnknownInstruction(LookupError):
    pass


class WrongTerminal(PermissionError):
    pass


class NotTheAuthority(PermissionError):
    pass


class AlreadyHeld(ValueError):
    def __init__(self, hold_id: str) -> None:
        super().__init__(f"the line already has a standing hold for this regime: {hold_id}")
        self.hold_id = hold_id


UNADDRESSED_HOLDS = Counter(
    "pnm_holds_unaddressed_total",
    "Holds opened without a terminal to instruct (state unaddressed), by reason",
    ["reason"],
)


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


@dataclass(frozen=True)
class AckOutcome:
    instruction_id: str
    hold_id: str
    hold_state: HoldState
    duplicate: bool


async def acknowledge(
    uow: UnitOfWork, ack: TerminalAck, now: datetime, actor: Actor | None = None
) -> AckOutcome:
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
    held = await load(uow, sent.hold_id)
    if sent.ack_result == ack.result:
        return AckOutcome(sent.instruction_id, sent.hold_id, HoldState(held.state), True)
    applied = ack.result == "applied"
    purpose = InstructionPurpose(sent.purpose)
    latest = sent.instruction_id == held.current_instruction_id
    transition = step_after_ack(HoldState(held.state), purpose, applied, latest)
    await uow.conn.execute(
        update(instruction)
        .where(instruction.c.instruction_id == ack.instruction_id)
        .values(ack_result=ack.result, ack_detail=ack.detail, acknowledged_at=ack.at)
    )
    by = actor or Actor(subject=f"terminal:{ack.terminal}", roles=(f"terminal:{ack.terminal}",))
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
        held = await step(uow, held, transition, now, by, reason=detail, **values)
    else:
        held = await change(uow, held, now, by, f"instruction.{ack.result}", values, detail=detail)
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
    await acknowledge(uow, ack, clock())


def authority_of(row: Row[Any], actor: Actor, action: str) -> None:
    role = AUTHORITY_ROLE[AUTHORITY[Regime(row.regime)]]
    if role not in actor.roles:
        raise NotTheAuthority(
            f"only {row.authority} (role {role}) may {action} hold {row.hold_id} "
            f"({row.regime}); token has roles [{', '.join(sorted(actor.roles))}]"
        )


async def release(
    uow: UnitOfWork, hold_id: str, reason: str, actor: Actor, now: datetime
) -> Row[Any]:
    """The competent authority releases: the terminal is told to lift the block (or, when no
    block ever went out, the hold is released at once)."""
    row = await load(uow, hold_id)
    authority_of(row, actor, "release")
    step_taken = release_step(BlockStatus(row.block_status) is not BlockStatus.NONE)
    release_values = {"released_by": actor.subject, "release_reason": reason}
    if step_taken is Transition.RELEASE_UNSENT:
        return await step(
            uow, row, step_taken, now, actor, reason=reason, released_at=now, **release_values
        )
    row = await step(uow, row, step_taken, now, actor, reason=reason, **release_values)
    return await instructions.issue(
        uow, row, InstructionPurpose.RELEASE, now, actor, reason=f"released: {reason}"
    )


async def refuse_goods(
    uow: UnitOfWork,
    hold_id: str,
    outcome: Literal["re_export", "destruction"],
    reason: str,
    actor: Actor,
    now: datetime,
) -> Row[Any]:
    """After an irregularity the authority refuses the goods: the hold closes, the terminal
    keeps the block while the goods leave under the authority's supervision."""
    row = await load(uow, hold_id)
    authority_of(row, actor, "refuse the goods of")
    return await step(uow, row, Transition.REFUSE_GOODS, now, actor, reason=reason, outcome=outcome)


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


class NoDestinationNow(ValueError):
    pass


async def direct_to_inspection(
    uow: UnitOfWork, hold_id: str, destination: str, reason: str, actor: Actor, now: datetime
) -> Row[Any]:
    """The authority has the goods inspected elsewhere (an approved inspection centre): the
    hold records where, and when a block is out the terminal gets a new block instruction
    carrying the destination (it supersedes the one before)."""
    row = await load(uow, hold_id)
    authority_of(row, actor, "direct the goods of")
    state = HoldState(row.state)
    if state not in DESTINATION_SETTABLE:
        raise NoDestinationNow(
            f"hold {hold_id} is {state.value}: a destination can be set only while the goods "
            f"are held ({', '.join(sorted(s.value for s in DESTINATION_SETTABLE))})"
        )
    row = await change(
        uow,
        row,
        now,
        actor,
        "hold.destination",
        {"destination": destination},
        detail=f"to {destination}: {reason}",
    )
    if BlockStatus(row.block_status) in (BlockStatus.PENDING, BlockStatus.APPLIED):
        row = await instructions.issue(
            uow, row, InstructionPurpose.BLOCK, now, actor, reason=f"inspection at {destination}"
        )
        if state is HoldState.ACKNOWLEDGED:
            row = await step(uow, row, Transition.INSTRUCT_BLOCK, now, actor, reason=reason)
    return row


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
