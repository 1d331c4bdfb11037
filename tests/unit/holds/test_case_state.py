"""Cases of pre-arrival: the state machine, what each outcome needs and does, the indicators that
flagged a line, and the false-positive rate."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnm.holds.cases import flagging_indicators
from pnm.holds.domain.case import RELEASING, CaseRefused, CaseState, CaseStep, apply, releases
from pnm.shared.case_outcomes import FALSE_POSITIVE, CaseOutcome, false_positive_rate
from pnm.shared.contracts.records import (
    Decision,
    DecisionStatus,
    Reason,
    Regime,
    RegimeDecision,
)

S = CaseState
T = CaseStep
O = CaseOutcome  # noqa: E741

# The machine as docs/cases.md has it, written out independently of the code.
EDGES = {
    (S.OPEN, T.RECORD_CONTACT, S.CONTACTED),
    (S.CONTACTED, T.RECORD_CONTACT, S.CONTACTED),
    (S.OPEN, T.LINK_NOTIFICATION, S.OPEN),
    (S.CONTACTED, T.LINK_NOTIFICATION, S.CONTACTED),
}
# (state, outcome, linked) that may close.
CLOSABLE: set[tuple[CaseState, CaseOutcome, bool]] = {
    (S.OPEN, O.HANDED_TO_AUTHORITY, False),
    (S.OPEN, O.HANDED_TO_AUTHORITY, True),
    (S.CONTACTED, O.HANDED_TO_AUTHORITY, False),
    (S.CONTACTED, O.HANDED_TO_AUTHORITY, True),
    (S.CONTACTED, O.NOT_CONTROLLED, False),
    (S.CONTACTED, O.NOT_CONTROLLED, True),
    (S.CONTACTED, O.BILATERAL_AGREEMENT, False),
    (S.CONTACTED, O.BILATERAL_AGREEMENT, True),
    (S.CONTACTED, O.PRENOTIFIED_NOT_REGISTERED, True),
}
NOT_CLOSING = sorted(
    set(itertools.product(CaseState, [T.RECORD_CONTACT, T.LINK_NOTIFICATION]))
    - {(s, t) for s, t, _ in EDGES}
)


def _closing_order(c: tuple[CaseState, CaseOutcome, bool]) -> tuple[str, str, bool]:
    return (c[0].value, c[1].value, c[2])


EVERY_CLOSE: set[tuple[CaseState, CaseOutcome, bool]] = set(
    itertools.product(CaseState, CaseOutcome, (False, True))
)
CLOSES = sorted(CLOSABLE, key=_closing_order)
NOT_CLOSABLE = sorted(EVERY_CLOSE - CLOSABLE, key=_closing_order)


@pytest.mark.parametrize(("current", "step", "target"), sorted(EDGES))
def test_every_named_transition(current: CaseState, step: CaseStep, target: CaseState) -> None:
    assert apply(current, step) is target


@pytest.mark.parametrize(("current", "outcome", "linked"), CLOSES)
def test_every_allowed_close(current: CaseState, outcome: CaseOutcome, linked: bool) -> None:
    assert apply(current, T.CLOSE, outcome, linked) is S.CLOSED


@pytest.mark.parametrize(("current", "step"), NOT_CLOSING)
def test_a_closed_case_takes_nothing(current: CaseState, step: CaseStep) -> None:
    with pytest.raises(CaseRefused, match="closed") as refused:
        apply(current, step)
    assert (refused.value.current, refused.value.step) == (current, step)


@pytest.mark.parametrize(("current", "outcome", "linked"), NOT_CLOSABLE)
def test_every_other_close_is_refused_with_the_reason(
    current: CaseState, outcome: CaseOutcome, linked: bool
) -> None:
    with pytest.raises(CaseRefused) as refused:
        apply(current, T.CLOSE, outcome, linked)
    message = str(refused.value)
    assert current.value in message and "close" in message
    if current is S.CLOSED:
        assert "closed" in message
    elif current is S.OPEN:
        assert "record a contact first" in message
    else:
        assert "linked" in message


def test_close_needs_an_outcome_and_other_steps_take_none() -> None:
    with pytest.raises(CaseRefused, match="an outcome is required"):
        apply(S.CONTACTED, T.CLOSE)
    with pytest.raises(ValueError, match="takes no outcome"):
        apply(S.OPEN, T.RECORD_CONTACT, O.NOT_CONTROLLED)


def test_which_outcomes_ask_for_a_release_and_which_count_as_false_positives() -> None:
    assert (
        {o for o in CaseOutcome if releases(o)}
        == RELEASING
        == {
            O.PRENOTIFIED_NOT_REGISTERED,
            O.NOT_CONTROLLED,
            O.BILATERAL_AGREEMENT,
        }
    )
    assert not releases(O.HANDED_TO_AUTHORITY)
    assert {O.NOT_CONTROLLED, O.BILATERAL_AGREEMENT} == FALSE_POSITIVE


def test_false_positive_rate() -> None:
    assert false_positive_rate({}) is None
    assert false_positive_rate({O.HANDED_TO_AUTHORITY: 3, O.NOT_CONTROLLED: 1}) == 0.25
    rate = false_positive_rate(
        {O.NOT_CONTROLLED: 2, O.BILATERAL_AGREEMENT: 1, O.PRENOTIFIED_NOT_REGISTERED: 1}
    )
    assert rate == 0.75


@given(st.lists(st.tuples(st.sampled_from(CaseStep), st.sampled_from(CaseOutcome)), max_size=12))
def test_any_sequence_keeps_the_rules(steps: list[tuple[CaseStep, CaseOutcome]]) -> None:
    """Whatever is tried in whatever order: a releasing close only after a contact, the
    pre-notified close only with a linked reference, and nothing after closing."""
    state, contacted, linked, closed_with = S.OPEN, False, False, None
    for step, outcome in steps:
        try:
            state = apply(state, step, outcome if step is T.CLOSE else None, linked)
        except CaseRefused:
            assert (
                closed_with is not None
                or (outcome in RELEASING and not contacted)
                or (outcome is O.PRENOTIFIED_NOT_REGISTERED and not linked)
            )
            continue
        assert closed_with is None, "a closed case took a step"
        contacted = contacted or step is T.RECORD_CONTACT
        linked = linked or step is T.LINK_NOTIFICATION
        if step is T.CLOSE:
            closed_with = outcome
            assert state is S.CLOSED
            assert contacted or outcome is O.HANDED_TO_AUTHORITY
            assert linked or outcome is not O.PRENOTIFIED_NOT_REGISTERED
        else:
            assert state is (S.CONTACTED if contacted else S.OPEN)


def _decision(*regimes: tuple[Regime, DecisionStatus, list[Reason]]) -> Decision:
    return Decision(
        manifest_id="M",
        line_id="1",
        line_version=1,
        decision_number=1,
        status=DecisionStatus.UNNOTIFIED,
        regimes=[r for r, _, _ in regimes],
        per_regime=[
            RegimeDecision(regime=r, status=s, references=[], reasons=why) for r, s, why in regimes
        ],
        references=[],
        reasons=[],
        explanation=[],
        indicator_set_version="test",
        decided_at=datetime.now(UTC),
    )


def test_a_case_keeps_the_indicators_of_the_regimes_that_need_the_hold() -> None:
    beef = Reason(code="cn_prefix", text="item 1: HS 020130 under 0201", indicator="cn:0201")
    salmon = Reason(code="keyword", text="item 2: 'salmon'", indicator="keyword:salmon")
    roses = Reason(code="cn_prefix", text="item 3: HS 0603 under 0603", indicator="cn:0603")
    waiting = Reason(code="lead_time", text="not yet due")
    decided = _decision(
        (Regime.VET, DecisionStatus.UNNOTIFIED, [beef, salmon, beef, waiting]),
        (Regime.PHYTO, DecisionStatus.NOTIFIED, [roses]),
    )
    assert flagging_indicators(decided) == ("vet/cn:0201", "vet/keyword:salmon")
