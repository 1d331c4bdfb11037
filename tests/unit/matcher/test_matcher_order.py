"""The matcher's decision properties (tests/matcher_properties.py) over generated
permutations, through the service layer over the store in memory."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st
from matcher_properties import (
    EXPECTED,
    INPUTS,
    NEVER_WITHDRAWN,
    Input,
    final_outcome,
    never_unnotified_once_notified,
)
from replaying import InMemory


def test_the_expected_outcome_is_the_one_the_rules_give() -> None:
    assert asyncio.run(final_outcome(InMemory(), INPUTS)) == EXPECTED


@settings(max_examples=200, deadline=None)
@given(st.permutations(INPUTS), st.sampled_from([1, 3, len(INPUTS)]))
def test_decisions_do_not_depend_on_the_order_of_arrival_or_the_batches(
    order: list[Input], batch_size: int
) -> None:
    assert asyncio.run(final_outcome(InMemory(batch_size), order)) == EXPECTED


@settings(max_examples=50, deadline=None)
@given(st.permutations(INPUTS))
def test_receiving_everything_twice_changes_nothing(order: list[Input]) -> None:
    assert asyncio.run(final_outcome(InMemory(), order + order)) == EXPECTED


@settings(max_examples=200, deadline=None)
@given(
    st.permutations(NEVER_WITHDRAWN),
    st.lists(st.integers(min_value=0, max_value=len(NEVER_WITHDRAWN)), max_size=3),
    st.lists(st.integers(min_value=1, max_value=72), min_size=3, max_size=3),
)
def test_a_notified_line_never_becomes_unnotified_without_a_cancellation(
    order: list[Input], repeats: list[int], hours: list[int]
) -> None:
    asyncio.run(never_unnotified_once_notified(InMemory(), order, repeats, hours))
