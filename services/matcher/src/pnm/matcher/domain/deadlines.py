"""Stage 7, deadlines on event time. The lead-time deadline is the project's rule
(`pnm.shared.bcp.lead_time`, the one the pre-notification service publishes its `lead_time`
by): the expected arrival moved back one Dutch working day, or the BCP's derogation hours, or
its working days for wood (Impl. Reg. (EU) 2019/1013 Art. 1). It is computed here from the
line, not taken from a pre-notification's `lead_time`: the line's arrival may come before the
arrival the pre-notification expected, and a line nobody notified has deadlines too. The
arrival deadline is the arrival itself, or the ETA plus a grace period when no arrival comes.
Pure: the clock is an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pnm.matcher.domain.indicators import Parameters
from pnm.shared.bcp.lead_time import lead_deadline
from pnm.shared.bcp.table import Bcp
from pnm.shared.contracts.records import DecisionStatus, Reason


@dataclass(frozen=True, slots=True)
class Timeline:
    eta: datetime
    lead_deadline: datetime
    arrival_deadline: datetime
    arrived_at: datetime | None
    lead_rule: str

    @classmethod
    def of(
        cls,
        eta: datetime,
        arrived_at: datetime | None,
        bcp: Bcp | None,
        p: Parameters,
        *,
        wood: bool = False,
    ) -> Timeline:
        """`wood`: the goods are wood the BCP may want five working days' notice of."""
        # A vessel or flight that arrives before its ETA brings the deadline forward with it:
        # a pre-notification sent after the goods arrived is late, whatever the ETA said.
        expected = min(eta, arrived_at) if arrived_at is not None else eta
        lead = lead_deadline(expected, bcp, wood=wood, working_days=p.lead_time_working_days)
        grace = eta + timedelta(hours=p.unnotified_grace_hours)
        return cls(eta, lead.deadline, arrived_at or grace, arrived_at, lead.text)

    def notified_in_time(self, submitted_at: datetime) -> bool:
        return submitted_at <= self.lead_deadline

    def waiting(self, now: datetime) -> tuple[DecisionStatus, Reason]:
        """The status of a controlled line that no valid pre-notification covers."""
        if self.arrived_at is not None:
            return DecisionStatus.UNNOTIFIED, Reason(
                code="arrived_unnotified",
                text=f"arrived {self.arrived_at.isoformat()} without a pre-notification",
            )
        if now >= self.arrival_deadline:
            return DecisionStatus.UNNOTIFIED, Reason(
                code="arrival_deadline_passed",
                text=f"no pre-notification and no arrival reported by "
                f"{self.arrival_deadline.isoformat()} (ETA plus grace)",
            )
        if now >= self.lead_deadline:
            return DecisionStatus.OVERDUE, Reason(
                code="lead_time_passed",
                text=f"no pre-notification by {self.lead_deadline.isoformat()} ({self.lead_rule})",
            )
        return DecisionStatus.AWAITING_NOTIFICATION, Reason(
            code="not_yet_notified",
            text=f"no pre-notification yet; due by {self.lead_deadline.isoformat()} "
            f"({self.lead_rule})",
        )

    def next_deadline(self, now: datetime) -> datetime | None:
        """When the waiting status changes by time alone (the scheduler wakes the line then)."""
        if self.arrived_at is not None:
            return None
        return min(
            (d for d in (self.lead_deadline, self.arrival_deadline) if d > now), default=None
        )
