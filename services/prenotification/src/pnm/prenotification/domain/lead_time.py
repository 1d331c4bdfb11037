"""Was the pre-notification made in time? (Impl. Reg. (EU) 2019/1013 Art. 1)

At least one working day before the expected arrival at the BCP (seed 004 §5.1: "tenminste één
werkdag vóór de verwachte aankomst"). A BCP may accept a shorter notice of a number of hours
where logistical constraints prevent one working day (Art. 1(2)), and a BCP designated for
roundwood, sawn wood and wood chips may require up to five working days for them (Art. 1(3));
which BCP does what is reference data (`Bcp.derogation_hours`, `Bcp.wood_working_days`).

Working days are those of the Dutch calendar in `pnm.shared.calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pnm.prenotification.domain.reference_data import Bcp
from pnm.shared.calendar import hours_before, working_days_before
from pnm.shared.contracts.records import ChedType, PreNotification

WOOD_CN_PREFIX = "44"
DEFAULT_WORKING_DAYS = 1

LeadTimeRule = Literal["one_working_day", "derogation_hours", "wood_working_days"]


@dataclass(frozen=True)
class LeadTime:
    on_time: bool
    deadline: datetime  # aware, Europe/Amsterdam
    rule: LeadTimeRule
    working_days: int | None
    hours: int | None


def _by(record: PreNotification, deadline: datetime) -> bool:
    """Submitted no later than the deadline (compared in UTC, never on wall clocks)."""
    return record.submitted_at.astimezone(UTC) <= deadline.astimezone(UTC)


def is_wood(record: PreNotification) -> bool:
    return record.ched_type is ChedType.CHED_PP and any(
        c.cn_code.startswith(WOOD_CN_PREFIX) for c in record.commodities
    )


def lead_time(record: PreNotification, bcp: Bcp | None) -> LeadTime:
    arrival = record.expected_arrival
    if bcp is not None and bcp.wood_working_days is not None and is_wood(record):
        deadline = working_days_before(arrival, bcp.wood_working_days)
        return LeadTime(
            _by(record, deadline),
            deadline,
            "wood_working_days",
            bcp.wood_working_days,
            None,
        )
    if bcp is not None and bcp.derogation_hours is not None:
        deadline = hours_before(arrival, bcp.derogation_hours)
        return LeadTime(
            _by(record, deadline),
            deadline,
            "derogation_hours",
            None,
            bcp.derogation_hours,
        )
    deadline = working_days_before(arrival, DEFAULT_WORKING_DAYS)
    return LeadTime(_by(record, deadline), deadline, "one_working_day", DEFAULT_WORKING_DAYS, None)
