"""What an accepted pre-notification version or a stored manifest line version stands for."""

from __future__ import annotations

import pytest

from pnm.manifest_ingest.domain.amendments import line_event_type
from pnm.prenotification.handlers import event_type_for
from pnm.shared.contracts.records import ChedType, PreNotificationStatus
from pnm.shared.contracts.topics import EventType
from pnm.testing.records import container, manifest_line, prenotification


@pytest.mark.parametrize(
    ("previous", "status", "expected"),
    [
        (None, PreNotificationStatus.SUBMITTED, EventType.PRENOTIFICATION_SUBMITTED),
        (None, PreNotificationStatus.VALIDATED, EventType.PRENOTIFICATION_SUBMITTED),
        ("submitted", PreNotificationStatus.SUBMITTED, EventType.PRENOTIFICATION_AMENDED),
        ("submitted", PreNotificationStatus.VALIDATED, EventType.PRENOTIFICATION_STATUS_CHANGED),
        ("validated", PreNotificationStatus.CANCELLED, EventType.PRENOTIFICATION_CANCELLED),
        ("submitted", PreNotificationStatus.REPLACED, EventType.PRENOTIFICATION_STATUS_CHANGED),
    ],
)
def test_event_type_of_an_accepted_version(
    previous: str | None, status: PreNotificationStatus, expected: str
) -> None:
    record = prenotification(
        "CHEDP.NL.2026.0000001",
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[container(1)],
        status=status,
    )
    assert event_type_for(previous, record) == expected


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
