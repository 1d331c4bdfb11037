"""Status life cycle and version ordering of pre-notifications."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnm.prenotification.domain.lifecycle import (
    IllegalStatusTransition,
    check_transition,
)
from pnm.shared.contracts.records import ACTIVE_STATUSES as ACTIVE
from pnm.shared.contracts.records import PreNotificationStatus as Status
from pnm.shared.versions import newer_wins as is_newer

S, V, RJ, C, RP = (
    Status.SUBMITTED,
    Status.VALIDATED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.REPLACED,
)
ALLOWED = {
    (S, S), (S, V), (S, RJ), (S, C), (S, RP),
    (V, V), (V, C), (V, RP),
    (RJ, RJ), (RJ, C), (RJ, RP),
    (RP, RP), (RP, C),
    (C, C),
}  # fmt: skip


@pytest.mark.parametrize("current", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_transition_table(current: Status, target: Status) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
        return
    with pytest.raises(IllegalStatusTransition) as err:
        check_transition(current, target)
    assert (err.value.current, err.value.target) == (current, target)
    assert str(err.value) == f"a pre-notification cannot go from {current} to {target}"


def test_message_example() -> None:
    with pytest.raises(
        ValueError, match=r"^a pre-notification cannot go from cancelled to validated$"
    ):
        check_transition(C, V)


def test_active() -> None:
    assert {S, V} == ACTIVE


def apply(start: Status, attempts: list[Status]) -> list[Status]:
    """The statuses a record goes through when each attempt is applied if it is legal."""
    history = [start]
    for target in attempts:
        try:
            check_transition(history[-1], target)
        except IllegalStatusTransition:
            continue
        history.append(target)
    return history


@given(st.sampled_from(list(Status)), st.lists(st.sampled_from(list(Status)), max_size=30))
def test_no_sequence_of_attempted_transitions_leaves_a_cancelled_record_active(
    start: Status, attempts: list[Status]
) -> None:
    history = apply(start, attempts)
    if C in history:
        after = history[history.index(C) :]
        assert set(after) == {C}
        assert not ACTIVE & set(after)


@given(st.lists(st.sampled_from(list(Status)), max_size=30))
def test_a_rejected_or_replaced_record_never_becomes_active_again(attempts: list[Status]) -> None:
    for start in (RJ, RP):
        assert not ACTIVE & set(apply(start, attempts)[1:])


@given(st.lists(st.integers(1, 50), min_size=1, max_size=20), st.randoms())
def test_older_versions_never_win(versions: list[int], rnd: random.Random) -> None:
    """Applying versions in any order, keeping one only when it is newer, ends at the maximum."""
    arrivals = versions[:]
    rnd.shuffle(arrivals)
    stored: int | None = None
    for incoming in arrivals:
        if is_newer(stored, incoming):
            assert stored is None or incoming > stored
            stored = incoming
    assert stored == max(versions)


@pytest.mark.parametrize(
    ("stored", "incoming", "newer"),
    [(None, 1, True), (None, 7, True), (1, 2, True), (2, 2, False), (3, 2, False)],
)
def test_is_newer(stored: int | None, incoming: int, newer: bool) -> None:
    assert is_newer(stored, incoming) is newer
