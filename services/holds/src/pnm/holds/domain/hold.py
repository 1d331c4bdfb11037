"""Holds: when one is needed, who owns it, and which state changes are allowed. Pure."""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from pnm.shared.contracts.records import Authority, DecisionStatus, Regime

HOLD_REQUIRED = frozenset({DecisionStatus.UNNOTIFIED, DecisionStatus.INVALID_NOTIFICATION})

AUTHORITY: dict[Regime, Authority] = {Regime.PHYTO: Authority.PD, Regime.VET: Authority.NVWA}


class HoldState(StrEnum):
    REQUESTED = "requested"
    INSTRUCTED = "instructed"  # block instruction sent to the terminal
    ACKNOWLEDGED = "acknowledged"  # terminal confirmed the block
    BLOCK_REJECTED = "block_rejected"  # terminal could not apply it: people must act
    # Needed, but no terminal to instruct (the decision names none): opened anyway, in front of
    # people, instructed once a decision names the terminal (fail closed).
    UNADDRESSED = "unaddressed"


class IllegalTransition(ValueError):
    def __init__(self, current: HoldState, target: HoldState) -> None:
        super().__init__(f"a hold cannot go from {current.value} to {target.value}")
        self.current = current
        self.target = target


_ALLOWED: dict[HoldState, frozenset[HoldState]] = {
    HoldState.REQUESTED: frozenset({HoldState.INSTRUCTED, HoldState.UNADDRESSED}),
    HoldState.UNADDRESSED: frozenset({HoldState.INSTRUCTED}),
    HoldState.INSTRUCTED: frozenset({HoldState.ACKNOWLEDGED, HoldState.BLOCK_REJECTED}),
    HoldState.ACKNOWLEDGED: frozenset(),
    HoldState.BLOCK_REJECTED: frozenset({HoldState.INSTRUCTED}),
}


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


def transition(current: HoldState, target: HoldState) -> HoldState:
    if target not in _ALLOWED[current]:
        raise IllegalTransition(current, target)
    return target


def state_after_ack(current: HoldState, applied: bool) -> HoldState | None:
    """The hold's state after the terminal answered its block; None when nothing changes
    (a repeated acknowledgement)."""
    target = HoldState.ACKNOWLEDGED if applied else HoldState.BLOCK_REJECTED
    if current is target:
        return None
    return transition(current, target)
