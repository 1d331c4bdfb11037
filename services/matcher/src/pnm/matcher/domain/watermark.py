"""No block on a transient decision (docs/watermark.md): the matcher issues `unnotified` or
`invalid_notification` only once it has consumed every pre-notification accepted before the
moment it decides. The pre-notification service stamps each partition of its topic with a
watermark (everything committed before it was published before it); the feed's watermark is
the lowest of all partitions. Until it has passed the moment of the decision, a missing or
invalid notification may be one still on its way, and the regime waits. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pnm.shared.contracts.records import DecisionStatus, Reason

BLOCKING = frozenset({DecisionStatus.UNNOTIFIED, DecisionStatus.INVALID_NOTIFICATION})
BACKLOG = "prenotification_backlog"


@dataclass(frozen=True, slots=True)
class PartitionMark:
    partition: int
    partitions: int  # of the topic, as the stamp said
    watermark: datetime


def feed_watermark(marks: Iterable[PartitionMark]) -> datetime | None:
    """The lowest watermark over every partition of the topic; None while a partition was
    never stamped (its pre-notifications may be anywhere)."""
    marks = list(marks)
    if not marks:
        return None
    partitions = max(m.partitions for m in marks)
    stamped = {m.partition: m.watermark for m in marks if m.partition < partitions}
    if len(stamped) < partitions:
        return None
    return min(stamped.values())


@dataclass(frozen=True, slots=True)
class Backlog:
    """What the matcher has consumed of the pre-notification feed, and the moment a decision
    is taken as of: when it first found the line due for a block (kept while it waits, so a
    watermark that is always a little behind the clock can pass it)."""

    watermark: datetime | None
    since: datetime

    def hold(self, status: DecisionStatus, previous: DecisionStatus | None) -> Reason | None:
        """Why a regime's block must wait, or None when it may be issued. A block issued before
        stays (a later watermark can only confirm it)."""
        if status not in BLOCKING or previous in BLOCKING:
            return None
        if self.watermark is not None and self.watermark >= self.since:
            return None
        seen = (
            f"consumed up to {self.watermark.isoformat()}"
            if self.watermark is not None
            else "no watermark yet from every partition"
        )
        return Reason(
            code=BACKLOG,
            text=f"held back: {status} is issued only once every pre-notification accepted "
            f"before {self.since.isoformat()} is consumed; pre-notification watermark {seen}",
        )
