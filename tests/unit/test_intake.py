"""What an accepted pre-notification version or a stored manifest line version stands for."""

from __future__ import annotations

import pytest

from pnm.cli.scenarios import container, manifest_line
from pnm.manifest_ingest.domain.amendments import line_event_type
from pnm.prenotification.domain.intake import EVENT_TYPE, IntakeOutcome, outcome
from pnm.shared.contracts.topics import EventType


@pytest.mark.parametrize(
    ("written", "inserted", "expected"),
    [
        (True, True, IntakeOutcome.CREATED),
        (True, False, IntakeOutcome.AMENDED),
        (False, False, IntakeOutcome.IGNORED),
        (False, True, IntakeOutcome.IGNORED),
    ],
)
def test_outcome(written: bool, inserted: bool, expected: IntakeOutcome) -> None:
    assert outcome(written, inserted) is expected


def test_event_type_per_outcome() -> None:
    assert EVENT_TYPE == {
        IntakeOutcome.CREATED: EventType.PRENOTIFICATION_SUBMITTED,
        IntakeOutcome.AMENDED: EventType.PRENOTIFICATION_AMENDED,
    }
    assert IntakeOutcome.IGNORED not in EVENT_TYPE, "an ignored version publishes nothing"


@pytest.mark.parametrize(
    ("withdrawn", "inserted", "expected"),
    [
        (False, True, EventType.MANIFEST_LINE_DECLARED),
        (False, False, EventType.MANIFEST_LINE_AMENDED),
        (True, False, EventType.MANIFEST_LINE_WITHDRAWN),
        (True, True, EventType.MANIFEST_LINE_WITHDRAWN),  # first seen already withdrawn
    ],
)
def test_line_event_type(withdrawn: bool, inserted: bool, expected: str) -> None:
    line = manifest_line(
        "M-1",
        "7",
        hs_code="020130",
        description="Frozen beef",
        containers=[container(7)],
        withdrawn=withdrawn,
        version=1 if inserted else 2,
    )
    assert line_event_type(line, inserted) == expected
