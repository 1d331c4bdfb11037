"""Holds: when one is needed, who owns it, and its life from block to release. Pure.

The life of a hold is one state machine of named transitions (docs/holds.md has the diagram).
Two things are tracked apart from the state: whether a block was ever sent to a terminal and
what the terminal answered (`BlockStatus`), because a release request or an irregularity does
not lift the block: the terminal keeps it until the authority releases.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from pnm.shared.contracts.records import DecisionStatus

HOLD_REQUIRED = frozenset({DecisionStatus.UNNOTIFIED, DecisionStatus.INVALID_NOTIFICATION})
# A later decision with one of these no longer needs the hold: the authority is asked to release.
RELEASE_GROUNDS = frozenset(
    {
        DecisionStatus.NOTIFIED_LATE,
        DecisionStatus.NOTIFIED,
        DecisionStatus.EXEMPT,
        DecisionStatus.NOT_CONTROLLED,
    }
)


class HoldState(StrEnum):
    REQUESTED = "requested"  # opened, not yet instructed (inside the opening transaction)
    # Needed, but no terminal to instruct: in front of people until a decision names one.
    UNADDRESSED = "unaddressed"
    INSTRUCTED = "instructed"  # block instruction sent to the terminal
    ACKNOWLEDGED = "acknowledged"  # terminal confirmed the block
    BLOCK_REJECTED = "block_rejected"  # terminal could not apply it: escalated to people
    RELEASE_REQUESTED = "release_requested"  # no longer needed: the authority decides
    RELEASE_INSTRUCTED = "release_instructed"  # the authority released: release sent
    RELEASE_REJECTED = "release_rejected"  # terminal could not lift it: escalated to people
    RELEASED = "released"  # terminal confirmed the release (or no block was ever sent)
    IRREGULARITY_RECORDED = "irregularity_recorded"  # for DFB; the goods are under measures
    REFUSED = "refused"  # goods refused entry: re-export or destruction


FINAL = frozenset({HoldState.RELEASED, HoldState.REFUSED})
# The states in which the hold still stands (one such hold per line and regime).
OPEN_STATES = frozenset(HoldState) - FINAL


class BlockStatus(StrEnum):
    """What the hold's current terminal did with its block."""

    NONE = "none"  # no block sent (unaddressed, or a shadow terminal)
    PENDING = "pending"  # sent, not answered
    APPLIED = "applied"
    REJECTED = "rejected"


class Transition(StrEnum):
    ADDRESS_MISSING = "address_missing"
    INSTRUCT_BLOCK = "instruct_block"
    BLOCK_APPLIED = "block_applied"
    BLOCK_REJECTED = "block_rejected"
    REQUEST_RELEASE = "request_release"
    WITHDRAW_RELEASE_REQUEST = "withdraw_release_request"
    RELEASE = "release"  # by the authority, a block is out: the terminal must lift it
    RELEASE_UNSENT = "release_unsent"  # by the authority, no block ever went out
    RELEASE_APPLIED = "release_applied"
    RELEASE_REJECTED = "release_rejected"
    RECORD_IRREGULARITY = "record_irregularity"
    REFUSE_GOODS = "refuse_goods"


H = HoldState
# Every edge of the machine, by name. A transition not listed for a state is refused.
EDGES: dict[Transition, dict[HoldState, HoldState]] = {
    Transition.ADDRESS_MISSING: {H.REQUESTED: H.UNADDRESSED},
    Transition.INSTRUCT_BLOCK: {
        H.REQUESTED: H.INSTRUCTED,
        H.UNADDRESSED: H.INSTRUCTED,
        H.BLOCK_REJECTED: H.INSTRUCTED,  # sent again, or to the terminal the cargo moved to
        H.ACKNOWLEDGED: H.INSTRUCTED,  # cargo moved: the new terminal is instructed
    },
    Transition.BLOCK_APPLIED: {H.INSTRUCTED: H.ACKNOWLEDGED, H.BLOCK_REJECTED: H.ACKNOWLEDGED},
    Transition.BLOCK_REJECTED: {H.INSTRUCTED: H.BLOCK_REJECTED},
    Transition.REQUEST_RELEASE: {
        H.UNADDRESSED: H.RELEASE_REQUESTED,
        H.INSTRUCTED: H.RELEASE_REQUESTED,
        H.ACKNOWLEDGED: H.RELEASE_REQUESTED,
        H.BLOCK_REJECTED: H.RELEASE_REQUESTED,
    },
    # Filled below: where it returns depends on the block's status.
    Transition.WITHDRAW_RELEASE_REQUEST: {},
    Transition.RELEASE: {
        H.INSTRUCTED: H.RELEASE_INSTRUCTED,
        H.ACKNOWLEDGED: H.RELEASE_INSTRUCTED,
        H.BLOCK_REJECTED: H.RELEASE_INSTRUCTED,
        H.RELEASE_REQUESTED: H.RELEASE_INSTRUCTED,
        H.IRREGULARITY_RECORDED: H.RELEASE_INSTRUCTED,  # released after measures
    },
    Transition.RELEASE_UNSENT: {
        H.UNADDRESSED: H.RELEASED,
        H.RELEASE_REQUESTED: H.RELEASED,
        H.IRREGULARITY_RECORDED: H.RELEASED,
    },
    Transition.RELEASE_APPLIED: {
        H.RELEASE_INSTRUCTED: H.RELEASED,
        H.RELEASE_REJECTED: H.RELEASED,
    },
    Transition.RELEASE_REJECTED: {H.RELEASE_INSTRUCTED: H.RELEASE_REJECTED},
    Transition.RECORD_IRREGULARITY: {
        H.UNADDRESSED: H.IRREGULARITY_RECORDED,
        H.INSTRUCTED: H.IRREGULARITY_RECORDED,
        H.ACKNOWLEDGED: H.IRREGULARITY_RECORDED,
        H.BLOCK_REJECTED: H.IRREGULARITY_RECORDED,
        H.RELEASE_REQUESTED: H.IRREGULARITY_RECORDED,
    },
    Transition.REFUSE_GOODS: {H.IRREGULARITY_RECORDED: H.REFUSED},
}
# A withdrawn release request returns to the state the block's status stands for.
STATE_OF_BLOCK: dict[BlockStatus, HoldState] = {
    BlockStatus.NONE: H.UNADDRESSED,
    BlockStatus.PENDING: H.INSTRUCTED,
    BlockStatus.APPLIED: H.ACKNOWLEDGED,
    BlockStatus.REJECTED: H.BLOCK_REJECTED,
}


class IllegalTransition(ValueError):
    def __init__(self, current: HoldState, step: Transition) -> None:
        allowed = sorted(t.value for t in steps_from(current))
        super().__init__(
            f"a hold in state {current.value} cannot take {step.value} "
            f"(it can take: {', '.join(allowed) or 'nothing, it is closed'})"
        )
        self.current = current
        self.step = step


def apply(current: HoldState, step: Transition, block: BlockStatus = BlockStatus.NONE) -> HoldState:
    """The state after `step`, or IllegalTransition. `block` matters only for a withdrawn
    release request."""
    if step is Transition.WITHDRAW_RELEASE_REQUEST:
        if current is not H.RELEASE_REQUESTED:
            raise IllegalTransition(current, step)
        return STATE_OF_BLOCK[block]
    target = EDGES[step].get(current)
    if target is None:
        raise IllegalTransition(current, step)
    return target


# While the goods are held and no release is out, the authority may name where they are to
# be inspected (a new block carrying it goes to the terminal when a block is out).
DESTINATION_SETTABLE = frozenset(
    {
        HoldState.UNADDRESSED,
        HoldState.INSTRUCTED,
        HoldState.ACKNOWLEDGED,
        HoldState.RELEASE_REQUESTED,
        HoldState.IRREGULARITY_RECORDED,
    }
)


def release_step(block_sent: bool) -> Transition:
    """The authority's release: the terminal must lift a block that went out."""
    return Transition.RELEASE if block_sent else Transition.RELEASE_UNSENT


class InstructionPurpose(StrEnum):
    BLOCK = "block"
    RELEASE = "release"
    STAND_DOWN = "stand_down"  # a release to the terminal the cargo moved away from


def step_after_ack(
    current: HoldState, purpose: InstructionPurpose, applied: bool, latest: bool
) -> Transition | None:
    """The transition a terminal's answer makes; None when the hold's state does not change:
    a stand-down, an answer to an instruction a later one superseded (`latest` False), or a
    block answered while the hold waits for the authority (release requested, irregularity)."""
    if purpose is InstructionPurpose.STAND_DOWN or not latest:
        return None
    if purpose is InstructionPurpose.BLOCK:
        step = Transition.BLOCK_APPLIED if applied else Transition.BLOCK_REJECTED
    else:
        step = Transition.RELEASE_APPLIED if applied else Transition.RELEASE_REJECTED
    if current in EDGES[step]:
        return step
    if purpose is InstructionPurpose.BLOCK and current in (
        H.RELEASE_REQUESTED,
        H.IRREGULARITY_RECORDED,
    ):
        return None
    raise IllegalTransition(current, step)


def block_status_after_ack(applied: bool) -> BlockStatus:
    return BlockStatus.APPLIED if applied else BlockStatus.REJECTED


NO_TERMINAL = "no_terminal"
UNKNOWN_TERMINAL = "unknown_terminal"


def unaddressable(terminal: str | None, known: Collection[str]) -> str | None:
    """Why a block instruction cannot be addressed to a terminal (`no_terminal`, or
    `unknown_terminal`: a code no terminal system is registered under, so nobody would read
    the instruction); None when it can."""
    if terminal is None or not terminal.strip():
        return NO_TERMINAL
    if terminal not in known:
        return UNKNOWN_TERMINAL
    return None


class Origin(StrEnum):
    DECISION = "decision"  # the matcher's decision needed it
    MANUAL = "manual"  # customs pre-arrival placed it by hand


@dataclass(frozen=True)
class HoldFacts:
    """What the decision policy needs to know of a standing hold."""

    state: HoldState
    block: BlockStatus
    terminal: str
    origin: Origin


class Effect(StrEnum):
    OPEN = "open"
    ADDRESS = "address"  # an unaddressed hold gets its terminal: instruct the block
    MOVE = "move"  # the cargo is at another terminal: block there, stand the old one down
    REQUEST_RELEASE = "request_release"
    WITHDRAW_RELEASE_REQUEST = "withdraw_release_request"


def effects_of_decision(
    standing: HoldFacts | None,
    status: DecisionStatus,
    terminal: str | None,
    known: Collection[str],
) -> list[Effect]:
    """What the line's current decision for one regime does to its hold. Never a release:
    a later decision can only ask the authority (docs/holds.md). `review`, and the statuses
    that only wait (awaiting, overdue), keep the hold as it is for a person."""
    addressable = unaddressable(terminal, known) is None
    if standing is None:
        return [Effect.OPEN] if status in HOLD_REQUIRED else []
    effects: list[Effect] = []
    state = standing.state
    if status in HOLD_REQUIRED and state is H.RELEASE_REQUESTED:
        effects.append(Effect.WITHDRAW_RELEASE_REQUEST)
        state = STATE_OF_BLOCK[standing.block]
    # A manual hold is customs' own: no decision asks for its release.
    releasing = status in RELEASE_GROUNDS and standing.origin is Origin.DECISION
    if state is H.UNADDRESSED and addressable and not releasing:
        effects.append(Effect.ADDRESS)
    elif (
        addressable
        and terminal != standing.terminal
        and standing.block is not BlockStatus.NONE
        and state not in (H.RELEASE_INSTRUCTED, H.RELEASE_REJECTED, *FINAL)
    ):
        effects.append(Effect.MOVE)
    if releasing and Transition.REQUEST_RELEASE in steps_from(state):
        effects.append(Effect.REQUEST_RELEASE)
    return effects


def steps_from(state: HoldState) -> frozenset[Transition]:
    steps = {t for t, edges in EDGES.items() if state in edges}
    if state is H.RELEASE_REQUESTED:
        steps.add(Transition.WITHDRAW_RELEASE_REQUEST)
    return frozenset(steps)
