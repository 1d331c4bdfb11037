"""Reduced check: the original phytosanitary certificate is due 48 hours after arrival."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from pnm.prenotification.domain.reduced_check import CERTIFICATE_DUE_AFTER, certificate_due
from pnm.shared.contracts.records import ChedType, Control, PreNotification
from pnm.testing.records import container, prenotification

ARRIVAL = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def record(ched_type: ChedType, regime: str) -> PreNotification:
    kind = ched_type.value.removeprefix("CHED-")
    base = prenotification(
        f"CHED{kind}.NL.2026.0000001",
        ched_type=ched_type,
        cn_code="08061010",
        description="Table grapes",
        containers=[container(7)],
        expected_arrival=ARRIVAL,
    )
    return base.model_copy(update={"control": Control.model_validate({"regime": regime})})


def test_due_48_hours_after_the_expected_arrival() -> None:
    assert timedelta(hours=48) == CERTIFICATE_DUE_AFTER
    assert certificate_due(record(ChedType.CHED_PP, "reduced")) == datetime(
        2026, 12, 3, 6, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("ched_type", "regime"),
    [
        (ChedType.CHED_PP, "full"),
        (ChedType.CHED_PP, "transfer"),
        (ChedType.CHED_P, "reduced"),
        (ChedType.CHED_D, "reduced"),
    ],
)
def test_not_due_otherwise(ched_type: ChedType, regime: str) -> None:
    assert certificate_due(record(ched_type, regime)) is None


def test_48_elapsed_hours_across_a_dst_change() -> None:
    amsterdam = ZoneInfo("Europe/Amsterdam")
    arrival = datetime(2026, 3, 28, 12, 0, tzinfo=amsterdam)  # CET; clocks go forward on the 29th
    reduced = record(ChedType.CHED_PP, "reduced").model_copy(update={"expected_arrival": arrival})
    due = certificate_due(reduced)
    assert due is not None
    assert due.astimezone(UTC) - arrival.astimezone(UTC) == timedelta(hours=48)
    assert due == datetime(2026, 3, 30, 13, 0, tzinfo=amsterdam)
