"""What an accepted pre-notification version means for the rest of the system."""

from __future__ import annotations

from enum import StrEnum

from pnm.shared.contracts.topics import EventType


class IntakeOutcome(StrEnum):
    CREATED = "created"
    AMENDED = "amended"
    IGNORED = "ignored"  # an equal or older version: already known, nothing changes


def outcome(written: bool, inserted: bool) -> IntakeOutcome:
    if not written:
        return IntakeOutcome.IGNORED
    return IntakeOutcome.CREATED if inserted else IntakeOutcome.AMENDED


EVENT_TYPE = {
    IntakeOutcome.CREATED: EventType.PRENOTIFICATION_SUBMITTED,
    IntakeOutcome.AMENDED: EventType.PRENOTIFICATION_AMENDED,
}
