"""The status life cycle of a pre-notification (which version wins: `pnm.shared.versions`).

    submitted ──> validated | rejected
    any status but cancelled ──> cancelled | replaced
    replaced ──> cancelled
    cancelled: final

A new version may keep the status it had (an amendment of the data only).
"""

from __future__ import annotations

from pnm.shared.contracts.records import PreNotificationStatus as Status

_FROM_SUBMITTED = frozenset({Status.VALIDATED, Status.REJECTED})
_ENDINGS = frozenset({Status.CANCELLED, Status.REPLACED})


class IllegalStatusTransition(ValueError):
    def __init__(self, current: Status, target: Status) -> None:
        self.current = current
        self.target = target
        super().__init__(f"a pre-notification cannot go from {current.value} to {target.value}")


def check_transition(current: Status, target: Status) -> None:
    if current is target:
        return
    if current is Status.CANCELLED:
        raise IllegalStatusTransition(current, target)
    if target in _ENDINGS:
        return
    if current is Status.SUBMITTED and target in _FROM_SUBMITTED:
        return
    raise IllegalStatusTransition(current, target)
