"""The same final set of inputs gives the same decisions, whatever order they came in and however
they are batched (generated permutations, through the matcher's service layer over the store in
memory; tests/integration/test_matcher_order_pg.py runs the same over PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from replaying import Replaying

from pnm.cli.scenarios import arrival, container, manifest_line, prenotification
from pnm.shared.contracts.records import (
    Arrival,
    ChedType,
    ManifestLine,
    PreNotification,
    PreNotificationStatus,
)

NOW = datetime(2026, 12, 1, 6, tzinfo=UTC)
BOX = [container(990_000 + n) for n in range(4)]

Input = ManifestLine | PreNotification | Arrival

INPUTS: list[Input] = [
    manifest_line("ORD-1", "1", hs_code="020230", description="beef", containers=[BOX[0]]),
    manifest_line(
        "ORD-1", "1", hs_code="020230", description="beef", containers=[BOX[1]], version=2
    ),
    manifest_line("ORD-1", "2", hs_code="080610", description="grapes", containers=[BOX[2]]),
    manifest_line("ORD-1", "3", hs_code="610910", description="shirts", containers=[BOX[3]]),
    manifest_line(
        "ORD-1", "4", hs_code="020230", description="beef", containers=[BOX[0]], withdrawn=True
    ),
    prenotification(
        "CHEDP.NL.2026.0990001",
        ched_type=ChedType.CHED_P,
        cn_code="0202",
        description="beef",
        containers=[BOX[1]],
    ),
    prenotification(
        "CHEDPP.NL.2026.0990002",
        ched_type=ChedType.CHED_PP,
        cn_code="0806",
        description="grapes",
        containers=[BOX[2]],
    ),
    prenotification(
        "CHEDPP.NL.2026.0990002",
        ched_type=ChedType.CHED_PP,
        cn_code="0806",
        description="grapes",
        containers=[BOX[2]],
        version=2,
        status=PreNotificationStatus.CANCELLED,
    ),
    arrival("ORD-1", NOW),
]


def final_decisions(
    inputs: list[Input], batch_size: int = 1
) -> dict[tuple[str, str], tuple[str, tuple[str, ...], int]]:
    matcher = Replaying(batch_size)
    for record in inputs:
        matcher.receive(record, NOW)
    matcher.advance(NOW)
    return {
        key: (d.status.value, tuple(d.references), d.line_version)
        for key, d in matcher.decisions.items()
    }


EXPECTED = final_decisions(INPUTS)


def test_the_expected_outcome_is_the_one_the_rules_give() -> None:
    assert EXPECTED == {
        # The amended container; pre-notified only after the vessel arrived (NOW): late.
        ("ORD-1", "1"): ("notified_late", ("CHEDP.NL.2026.0990001",), 2),
        ("ORD-1", "2"): ("invalid_notification", ("CHEDPP.NL.2026.0990002",), 1),  # cancelled
        ("ORD-1", "3"): ("not_controlled", (), 1),
        ("ORD-1", "4"): ("not_controlled", (), 1),  # withdrawn
    }


@settings(max_examples=200, deadline=None)
@given(st.permutations(INPUTS), st.sampled_from([1, 3, len(INPUTS)]))
def test_decisions_do_not_depend_on_the_order_of_arrival_or_the_batches(
    order: list[Input], batch_size: int
) -> None:
    assert final_decisions(order, batch_size) == EXPECTED


@settings(max_examples=50, deadline=None)
@given(st.permutations(INPUTS))
def test_receiving_everything_twice_changes_nothing(order: list[Input]) -> None:
    assert final_decisions(order + order) == EXPECTED


NEVER_WITHDRAWN = [
    i for i in INPUTS if not (isinstance(i, PreNotification) and i.status.value == "cancelled")
]


@settings(max_examples=200, deadline=None)
@given(
    st.permutations(NEVER_WITHDRAWN),
    st.lists(st.integers(min_value=0, max_value=len(NEVER_WITHDRAWN)), max_size=3),
    st.lists(st.integers(min_value=1, max_value=72), min_size=3, max_size=3),
)
def test_a_notified_line_never_becomes_unnotified_without_a_cancellation(
    order: list[Input], repeats: list[int], hours: list[int]
) -> None:
    # The same inputs, some twice, with time passing between them: arrival and deadlines
    # come and go, but nothing withdraws a pre-notification.
    sequence = [*order, *(order[i] for i in repeats if i < len(order))]
    matcher = Replaying()
    notified: set[tuple[str, str]] = set()
    now = NOW
    for step, record in enumerate(sequence):
        now += timedelta(hours=hours[step % len(hours)])
        matcher.receive(record, now)
        for key, decision in matcher.decisions.items():
            if decision.status.value in ("notified", "notified_late"):
                notified.add(key)
            elif key in notified:
                assert decision.status.value != "unnotified", (key, decision.reasons)
