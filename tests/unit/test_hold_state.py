"""Holds: which decisions need one, who owns it, and its state machine."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnm.cli.scenario_catalogue import FLIGHTS, TERMINALS_RTM
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.domain.hold import (
    AUTHORITY,
    HOLD_REQUIRED,
    HoldState,
    IllegalTransition,
    state_after_ack,
    transition,
    unaddressable,
)
from pnm.shared.contracts.records import Authority, DecisionStatus, Regime

H = HoldState

# The state machine as the design has it, written out independently of the implementation.
EDGES = {
    (H.REQUESTED, H.INSTRUCTED),
    (H.INSTRUCTED, H.ACKNOWLEDGED),
    (H.INSTRUCTED, H.BLOCK_REJECTED),
    (H.BLOCK_REJECTED, H.INSTRUCTED),  # the block is sent again
    (H.REQUESTED, H.UNADDRESSED),  # no terminal to instruct: people must act
    (H.UNADDRESSED, H.INSTRUCTED),  # a later decision names the terminal
}
ILLEGAL = sorted(set(itertools.product(HoldState, HoldState)) - EDGES)


@pytest.mark.parametrize(("current", "target"), sorted(EDGES))
def test_allowed_transition(current: HoldState, target: HoldState) -> None:
    assert transition(current, target) is target


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_illegal_transition(current: HoldState, target: HoldState) -> None:
    with pytest.raises(IllegalTransition) as error:
        transition(current, target)
    assert error.value.current is current
    assert error.value.target is target
    message = str(error.value)
    assert current.value in message
    assert target.value in message
    assert message.index(current.value) < message.rindex(target.value)


def test_illegal_transition_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="from requested to acknowledged"):
        transition(H.REQUESTED, H.ACKNOWLEDGED)


def test_acknowledged_is_final() -> None:
    for target in HoldState:
        with pytest.raises(IllegalTransition):
            transition(H.ACKNOWLEDGED, target)


@pytest.mark.parametrize(
    ("current", "applied", "expected"),
    [
        (H.INSTRUCTED, True, H.ACKNOWLEDGED),
        (H.INSTRUCTED, False, H.BLOCK_REJECTED),
        (H.ACKNOWLEDGED, True, None),  # a repeated acknowledgement changes nothing
        (H.BLOCK_REJECTED, False, None),  # a repeated rejection changes nothing
    ],
)
def test_state_after_ack(current: HoldState, applied: bool, expected: HoldState | None) -> None:
    assert state_after_ack(current, applied) is expected


@pytest.mark.parametrize("applied", [True, False])
def test_an_ack_before_any_instruction_is_illegal(applied: bool) -> None:
    with pytest.raises(IllegalTransition):
        state_after_ack(H.REQUESTED, applied)


def test_hold_required_only_for_unnotified_and_invalid_notification() -> None:
    assert (
        frozenset({DecisionStatus.UNNOTIFIED, DecisionStatus.INVALID_NOTIFICATION}) == HOLD_REQUIRED
    )


@pytest.mark.parametrize("status", list(DecisionStatus))
def test_hold_required_per_status(status: DecisionStatus) -> None:
    expected = status in {DecisionStatus.UNNOTIFIED, DecisionStatus.INVALID_NOTIFICATION}
    assert (status in HOLD_REQUIRED) is expected


def test_authority_per_regime() -> None:
    assert AUTHORITY == {Regime.PHYTO: Authority.PD, Regime.VET: Authority.NVWA}
    assert set(AUTHORITY) == set(Regime)


# An attempted step: a target state, or a terminal acknowledgement (applied or not).
STEPS = st.lists(
    st.one_of(
        st.sampled_from(HoldState).map(lambda s: ("transition", s)),
        st.booleans().map(lambda applied: ("ack", applied)),
    ),
    max_size=25,
)


@settings(max_examples=150)
@given(STEPS)
def test_random_attempts_only_ever_pass_through_allowed_edges(
    steps: list[tuple[str, HoldState | bool]],
) -> None:
    state = H.REQUESTED
    visited = [state]
    for kind, argument in steps:
        try:
            if kind == "transition":
                assert isinstance(argument, HoldState)
                new = transition(state, argument)
            else:
                new_or_none = state_after_ack(state, bool(argument))
                if new_or_none is None:
                    # only a repeat of the state the ack leads to is a no-op
                    assert state is (H.ACKNOWLEDGED if argument else H.BLOCK_REJECTED)
                    continue
                new = new_or_none
        except IllegalTransition as error:
            assert error.current is state
            assert (error.current, error.target) not in EDGES
            continue
        assert (state, new) in EDGES
        state = new
        visited.append(state)
    assert all(edge in EDGES for edge in itertools.pairwise(visited))
    if H.ACKNOWLEDGED in visited:
        assert visited[-1] is H.ACKNOWLEDGED


KNOWN = frozenset({"ECTDELTA", "RWG"})


@pytest.mark.parametrize("terminal", [None, "", "   "])
def test_a_hold_without_a_terminal_is_unaddressable(terminal: str | None) -> None:
    assert unaddressable(terminal, KNOWN) == "no_terminal"


def test_a_hold_for_a_terminal_nobody_registered_is_unaddressable() -> None:
    assert unaddressable("ECTDELTAX", KNOWN) == "unknown_terminal"


def test_a_hold_with_a_registered_terminal_is_addressable() -> None:
    assert unaddressable("ECTDELTA", KNOWN) is None


def test_the_shipped_registry_holds_the_terminals_of_rotterdam_and_schiphol() -> None:
    # Every terminal the scenario generator writes (tests, corpus, bench) gets its instructions.
    assert set(TERMINALS_RTM) | {f.handler for f in FLIGHTS} <= known_terminals()
