"""Which queues a role works, what an inspector sees, and how a queue query is checked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pnm.console.domain.queues import (
    PAGE_SIZES,
    QUEUES,
    QUEUES_BY_NAME,
    SEARCH_MAX_CHARS,
    QueryProblem,
    QueueQuery,
    authority_scope,
    checked_query,
    last_page,
    queues_for,
)
from pnm.holds.domain.hold import OPEN_STATES, HoldState


def test_every_standing_hold_is_in_a_queue() -> None:
    """A hold that still stands waits for somebody; none falls between the queues."""
    queued = {state for q in QUEUES for state in q.hold_states}
    assert {str(state) for state in OPEN_STATES} <= queued


@pytest.mark.parametrize(
    "state", [HoldState.ACKNOWLEDGED, HoldState.RELEASE_REQUESTED, HoldState.IRREGULARITY_RECORDED]
)
def test_a_blocked_hold_waits_for_the_authoritys_release(state: HoldState) -> None:
    assert str(state) in QUEUES_BY_NAME["holds_waiting_release"].hold_states


def names(roles: set[str]) -> list[str]:
    return [q.name for q in queues_for(roles)]


def test_customs_works_cases_and_not_the_release_queue() -> None:
    seen = names({"customs-prearrival"})
    assert "open_cases" in seen and "review" in seen
    assert "holds_waiting_release" not in seen


@pytest.mark.parametrize("role", ["pd-inspector", "nvwa-inspector"])
def test_an_inspector_works_releases_and_not_cases(role: str) -> None:
    seen = names({role})
    assert "holds_waiting_release" in seen
    assert "open_cases" not in seen


def test_a_token_without_an_official_role_works_no_queue() -> None:
    assert names({"feed:vgc", "terminal:ECTDELTA"}) == []


@pytest.mark.parametrize(
    ("roles", "scope"),
    [
        ({"pd-inspector"}, "PD"),
        ({"nvwa-inspector"}, "NVWA"),
        ({"pd-inspector", "nvwa-inspector"}, None),
        ({"pd-inspector", "customs-prearrival"}, None),
        ({"analyst"}, None),
        ({"admin"}, None),
    ],
)
def test_an_inspector_of_one_authority_sees_that_authority(
    roles: set[str], scope: str | None
) -> None:
    assert authority_scope(roles) == scope


def test_defaults_are_filled_in() -> None:
    checked = checked_query(QUEUES_BY_NAME["unnotified"], QueueQuery(search="  MSKU  "))
    assert checked.sort == "eta" and checked.search == "MSKU"
    assert checked_query(QUEUES_BY_NAME["holds_escalated"], QueueQuery()).sort == "changed"


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        (QueueQuery(search="x" * (SEARCH_MAX_CHARS + 1)), "q"),
        (QueueQuery(search="a\x00b"), "q"),
        (QueueQuery(sort="state"), "sort"),  # a hold's sort on a line queue
        (QueueQuery(regime="fish"), "regime"),
        (QueueQuery(size=7), "size"),
        (QueueQuery(page=0), "page"),
        (QueueQuery(bcp="NL RTM"), "bcp"),
        (QueueQuery(terminal="x" * 36), "terminal"),
    ],
)
def test_a_bad_query_names_its_parameter(query: QueueQuery, parameter: str) -> None:
    with pytest.raises(QueryProblem) as refused:
        checked_query(QUEUES_BY_NAME["overdue"], query)
    assert refused.value.parameter == parameter
    assert refused.value.rule


@given(total=st.integers(min_value=0, max_value=10**6), size=st.sampled_from(PAGE_SIZES))
def test_the_last_page_holds_the_last_row(total: int, size: int) -> None:
    last = last_page(total, size)
    assert last >= 1
    assert (last - 1) * size <= max(total - 1, 0) < last * size or total == 0
