"""Holds: which decisions need one, who owns it, its state machine, and what a later decision
does to a standing hold."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnm.cli.scenario.catalogue import FLIGHTS, TERMINALS_RTM
from pnm.holds.adapters.terminals import known_terminals
from pnm.holds.domain.hold import (
    HOLD_REQUIRED,
    RELEASE_GROUNDS,
    BlockStatus,
    Effect,
    HoldFacts,
    HoldState,
    IllegalTransition,
    InstructionPurpose,
    Origin,
    Transition,
    apply,
    effects_of_decision,
    release_step,
    step_after_ack,
    steps_from,
    unaddressable,
)
from pnm.shared.contracts.records import DecisionStatus

H = HoldState
T = Transition

# The machine as the design has it (docs/holds.md), written out independently of the code.
EDGES = {
    (H.REQUESTED, T.ADDRESS_MISSING, H.UNADDRESSED),
    (H.REQUESTED, T.INSTRUCT_BLOCK, H.INSTRUCTED),
    (H.UNADDRESSED, T.INSTRUCT_BLOCK, H.INSTRUCTED),
    (H.BLOCK_REJECTED, T.INSTRUCT_BLOCK, H.INSTRUCTED),
    (H.ACKNOWLEDGED, T.INSTRUCT_BLOCK, H.INSTRUCTED),
    (H.INSTRUCTED, T.BLOCK_APPLIED, H.ACKNOWLEDGED),
    (H.BLOCK_REJECTED, T.BLOCK_APPLIED, H.ACKNOWLEDGED),
    (H.INSTRUCTED, T.BLOCK_REJECTED, H.BLOCK_REJECTED),
    (H.UNADDRESSED, T.REQUEST_RELEASE, H.RELEASE_REQUESTED),
    (H.INSTRUCTED, T.REQUEST_RELEASE, H.RELEASE_REQUESTED),
    (H.ACKNOWLEDGED, T.REQUEST_RELEASE, H.RELEASE_REQUESTED),
    (H.BLOCK_REJECTED, T.REQUEST_RELEASE, H.RELEASE_REQUESTED),
    (H.INSTRUCTED, T.RELEASE, H.RELEASE_INSTRUCTED),
    (H.ACKNOWLEDGED, T.RELEASE, H.RELEASE_INSTRUCTED),
    (H.BLOCK_REJECTED, T.RELEASE, H.RELEASE_INSTRUCTED),
    (H.RELEASE_REQUESTED, T.RELEASE, H.RELEASE_INSTRUCTED),
    (H.IRREGULARITY_RECORDED, T.RELEASE, H.RELEASE_INSTRUCTED),
    (H.UNADDRESSED, T.RELEASE_UNSENT, H.RELEASED),
    (H.RELEASE_REQUESTED, T.RELEASE_UNSENT, H.RELEASED),
    (H.IRREGULARITY_RECORDED, T.RELEASE_UNSENT, H.RELEASED),
    (H.RELEASE_INSTRUCTED, T.RELEASE_APPLIED, H.RELEASED),
    (H.RELEASE_REJECTED, T.RELEASE_APPLIED, H.RELEASED),
    (H.RELEASE_INSTRUCTED, T.RELEASE_REJECTED, H.RELEASE_REJECTED),
    (H.UNADDRESSED, T.RECORD_IRREGULARITY, H.IRREGULARITY_RECORDED),
    (H.INSTRUCTED, T.RECORD_IRREGULARITY, H.IRREGULARITY_RECORDED),
    (H.ACKNOWLEDGED, T.RECORD_IRREGULARITY, H.IRREGULARITY_RECORDED),
    (H.BLOCK_REJECTED, T.RECORD_IRREGULARITY, H.IRREGULARITY_RECORDED),
    (H.RELEASE_REQUESTED, T.RECORD_IRREGULARITY, H.IRREGULARITY_RECORDED),
    (H.IRREGULARITY_RECORDED, T.REFUSE_GOODS, H.REFUSED),
}
WITHDRAWN_TO = {
    BlockStatus.NONE: H.UNADDRESSED,
    BlockStatus.PENDING: H.INSTRUCTED,
    BlockStatus.APPLIED: H.ACKNOWLEDGED,
    BlockStatus.REJECTED: H.BLOCK_REJECTED,
}
PAIRS = {(s, t) for s, t, _ in EDGES} | {(H.RELEASE_REQUESTED, T.WITHDRAW_RELEASE_REQUEST)}
REFUSED_PAIRS = sorted(set(itertools.product(HoldState, Transition)) - PAIRS)


@pytest.mark.parametrize(("current", "step", "target"), sorted(EDGES))
def test_every_named_transition(current: HoldState, step: Transition, target: HoldState) -> None:
    assert apply(current, step) is target


@pytest.mark.parametrize(("block", "target"), sorted(WITHDRAWN_TO.items()))
def test_a_withdrawn_release_request_returns_to_the_blocks_state(
    block: BlockStatus, target: HoldState
) -> None:
    assert apply(H.RELEASE_REQUESTED, T.WITHDRAW_RELEASE_REQUEST, block) is target


@pytest.mark.parametrize(("current", "step"), REFUSED_PAIRS)
def test_every_other_transition_is_refused_and_says_what_is_allowed(
    current: HoldState, step: Transition
) -> None:
    with pytest.raises(IllegalTransition) as error:
        apply(current, step)
    assert error.value.current is current
    assert error.value.step is step
    message = str(error.value)
    assert current.value in message and step.value in message
    for allowed in steps_from(current):
        assert allowed.value in message


@pytest.mark.parametrize("final", [H.RELEASED, H.REFUSED])
def test_released_and_refused_are_final(final: HoldState) -> None:
    assert steps_from(final) == frozenset()
    assert "closed" in str(IllegalTransition(final, T.RELEASE))


def test_no_state_but_the_authoritys_release_leads_to_released() -> None:
    into_released = {(s, t) for s, t, target in EDGES if target is H.RELEASED}
    assert {t for _, t in into_released} == {T.RELEASE_UNSENT, T.RELEASE_APPLIED}
    # RELEASE_APPLIED only follows the authority's RELEASE (release_instructed).
    assert {s for s, t in into_released if t is T.RELEASE_APPLIED} == {
        H.RELEASE_INSTRUCTED,
        H.RELEASE_REJECTED,
    }


@pytest.mark.parametrize(("sent", "step"), [(True, T.RELEASE), (False, T.RELEASE_UNSENT)])
def test_release_sends_a_release_only_when_a_block_went_out(sent: bool, step: Transition) -> None:
    assert release_step(sent) is step


@pytest.mark.parametrize(
    ("current", "purpose", "applied", "latest", "expected"),
    [
        (H.INSTRUCTED, InstructionPurpose.BLOCK, True, True, T.BLOCK_APPLIED),
        (H.INSTRUCTED, InstructionPurpose.BLOCK, False, True, T.BLOCK_REJECTED),
        (H.BLOCK_REJECTED, InstructionPurpose.BLOCK, True, True, T.BLOCK_APPLIED),
        (H.RELEASE_INSTRUCTED, InstructionPurpose.RELEASE, True, True, T.RELEASE_APPLIED),
        (H.RELEASE_INSTRUCTED, InstructionPurpose.RELEASE, False, True, T.RELEASE_REJECTED),
        (H.RELEASE_REJECTED, InstructionPurpose.RELEASE, True, True, T.RELEASE_APPLIED),
        # The block answered while the authority decides: the state stays.
        (H.RELEASE_REQUESTED, InstructionPurpose.BLOCK, True, True, None),
        (H.IRREGULARITY_RECORDED, InstructionPurpose.BLOCK, False, True, None),
        # An answer to a superseded instruction, or a stand-down, moves nothing.
        (H.RELEASE_INSTRUCTED, InstructionPurpose.BLOCK, True, False, None),
        (H.INSTRUCTED, InstructionPurpose.STAND_DOWN, True, False, None),
    ],
)
def test_the_step_a_terminals_answer_takes(
    current: HoldState,
    purpose: InstructionPurpose,
    applied: bool,
    latest: bool,
    expected: Transition | None,
) -> None:
    assert step_after_ack(current, purpose, applied, latest) is expected


@pytest.mark.parametrize("applied", [True, False])
def test_an_answer_the_state_cannot_take_is_refused(applied: bool) -> None:
    with pytest.raises(IllegalTransition):
        step_after_ack(H.ACKNOWLEDGED, InstructionPurpose.RELEASE, applied, latest=True)
    with pytest.raises(IllegalTransition):
        step_after_ack(H.REQUESTED, InstructionPurpose.BLOCK, applied, latest=True)


def test_hold_required_only_for_unnotified_and_invalid_notification() -> None:
    assert (
        frozenset({DecisionStatus.UNNOTIFIED, DecisionStatus.INVALID_NOTIFICATION}) == HOLD_REQUIRED
    )


def test_release_grounds_are_the_statuses_that_need_no_hold() -> None:
    assert {
        DecisionStatus.NOTIFIED_LATE,
        DecisionStatus.NOTIFIED,
        DecisionStatus.EXEMPT,
        DecisionStatus.NOT_CONTROLLED,
    } == RELEASE_GROUNDS


@settings(max_examples=200)
@given(st.lists(st.tuples(st.sampled_from(Transition), st.sampled_from(BlockStatus)), max_size=30))
def test_random_attempts_only_ever_pass_through_named_edges(
    steps: list[tuple[Transition, BlockStatus]],
) -> None:
    state = H.REQUESTED
    for step, block in steps:
        try:
            new = apply(state, step, block)
        except IllegalTransition:
            assert (state, step) not in PAIRS
            continue
        if step is T.WITHDRAW_RELEASE_REQUEST:
            assert new is WITHDRAWN_TO[block]
        else:
            assert (state, step, new) in EDGES
        state = new
    if state in (H.RELEASED, H.REFUSED):
        assert steps_from(state) == frozenset()


KNOWN = frozenset({"ECTDELTA", "RWG"})


def standing(
    state: HoldState,
    block: BlockStatus = BlockStatus.APPLIED,
    terminal: str = "ECTDELTA",
    origin: Origin = Origin.DECISION,
) -> HoldFacts:
    return HoldFacts(state=state, block=block, terminal=terminal, origin=origin)


D = DecisionStatus


@pytest.mark.parametrize("status", list(DecisionStatus))
def test_a_hold_is_opened_only_when_the_decision_needs_one(status: DecisionStatus) -> None:
    expected = [Effect.OPEN] if status in HOLD_REQUIRED else []
    assert effects_of_decision(None, status, "ECTDELTA", KNOWN) == expected


@pytest.mark.parametrize("status", sorted(RELEASE_GROUNDS))
def test_a_later_decision_that_needs_no_hold_only_asks_for_release(status: DecisionStatus) -> None:
    for state in (H.INSTRUCTED, H.ACKNOWLEDGED, H.BLOCK_REJECTED, H.UNADDRESSED):
        block = BlockStatus.NONE if state is H.UNADDRESSED else BlockStatus.APPLIED
        effects = effects_of_decision(standing(state, block), status, "ECTDELTA", KNOWN)
        assert effects == [Effect.REQUEST_RELEASE]


@pytest.mark.parametrize("status", [D.REVIEW, D.AWAITING_NOTIFICATION, D.OVERDUE])
def test_review_and_waiting_keep_the_hold_for_a_person(status: DecisionStatus) -> None:
    for state in (H.INSTRUCTED, H.ACKNOWLEDGED, H.RELEASE_REQUESTED, H.IRREGULARITY_RECORDED):
        assert effects_of_decision(standing(state), status, "ECTDELTA", KNOWN) == []


def test_a_release_is_not_asked_twice_nor_while_the_authority_acts() -> None:
    for state in (H.RELEASE_REQUESTED, H.RELEASE_INSTRUCTED, H.IRREGULARITY_RECORDED):
        assert effects_of_decision(standing(state), D.NOTIFIED, "ECTDELTA", KNOWN) == []


def test_a_manual_hold_is_not_released_by_a_decision() -> None:
    manual = standing(H.ACKNOWLEDGED, origin=Origin.MANUAL)
    assert effects_of_decision(manual, D.NOTIFIED, "ECTDELTA", KNOWN) == []


def test_needed_again_withdraws_the_release_request() -> None:
    held = standing(H.RELEASE_REQUESTED, BlockStatus.APPLIED)
    assert effects_of_decision(held, D.UNNOTIFIED, "ECTDELTA", KNOWN) == [
        Effect.WITHDRAW_RELEASE_REQUEST
    ]


def test_a_decision_naming_the_terminal_addresses_an_unaddressed_hold() -> None:
    held = standing(H.UNADDRESSED, BlockStatus.NONE, terminal="")
    assert effects_of_decision(held, D.UNNOTIFIED, "ECTDELTA", KNOWN) == [Effect.ADDRESS]
    assert effects_of_decision(held, D.REVIEW, "ECTDELTA", KNOWN) == [Effect.ADDRESS]
    assert effects_of_decision(held, D.UNNOTIFIED, "NOWHERE", KNOWN) == []
    # No longer needed: no block goes out, the authority is asked.
    assert effects_of_decision(held, D.NOTIFIED, "ECTDELTA", KNOWN) == [Effect.REQUEST_RELEASE]


def test_the_block_follows_the_container_to_another_terminal() -> None:
    for state in (H.INSTRUCTED, H.ACKNOWLEDGED, H.RELEASE_REQUESTED, H.IRREGULARITY_RECORDED):
        held = standing(state, BlockStatus.APPLIED, terminal="ECTDELTA")
        assert effects_of_decision(held, D.REVIEW, "RWG", KNOWN) == [Effect.MOVE]
    moved_and_notified = effects_of_decision(standing(H.ACKNOWLEDGED), D.NOTIFIED, "RWG", KNOWN)
    assert moved_and_notified == [Effect.MOVE, Effect.REQUEST_RELEASE]
    # Released by the authority: nothing to follow. To an unknown terminal: nobody to tell.
    assert effects_of_decision(standing(H.RELEASE_INSTRUCTED), D.REVIEW, "RWG", KNOWN) == []
    assert effects_of_decision(standing(H.ACKNOWLEDGED), D.REVIEW, "NOWHERE", KNOWN) == []


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
