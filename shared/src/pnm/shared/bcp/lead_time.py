"""When must a pre-notification be in? (Impl. Reg. (EU) 2019/1013 Art. 1)

At least one working day before the expected arrival at the BCP (docs/sources.md, "Lead times
(seed 004 §5.1)": "tenminste één werkdag vóór de verwachte aankomst"). A BCP may accept a
shorter notice of a number of hours where logistical constraints prevent one working day
(Art. 1(2)), and a BCP designated for roundwood, sawn wood and wood chips may require up to
five working days for them (Art. 1(3)); which BCP does what is the BCP table
(`Bcp.derogation_hours`, `Bcp.wood_working_days`). The wood rule comes first: it is the
stricter one, and it is the BCP's to require.

Working days are those of the Dutch calendar in `pnm.shared.calendar`. The one home of these
rules: the pre-notification service computes the `lead_time` it publishes with it, the matcher
its deadlines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from pnm.shared.bcp.table import Bcp
from pnm.shared.calendar import hours_before, working_days_before
from pnm.shared.contracts.records import ChedType

WOOD_CN_PREFIX = "44"
DEFAULT_WORKING_DAYS = 1

LeadTimeRule = Literal["one_working_day", "derogation_hours", "wood_working_days"]


@dataclass(frozen=True)
class LeadDeadline:
    deadline: datetime  # aware, Europe/Amsterdam
    rule: LeadTimeRule
    working_days: int | None
    hours: int | None
    bcp: str | None = None  # the TRACES code of the BCP whose rule it is

    def met_by(self, submitted_at: datetime) -> bool:
        """Submitted no later than the deadline (compared in UTC, never on wall clocks)."""
        return submitted_at.astimezone(UTC) <= self.deadline.astimezone(UTC)

    @property
    def text(self) -> str:
        if self.rule == "derogation_hours":
            return f"{self.hours} hours before arrival ({self.bcp} derogation)"
        if self.rule == "wood_working_days":
            return f"{self.working_days} NL working days before arrival (wood at {self.bcp})"
        return f"{self.working_days} NL working day(s) before arrival"


def is_wood(ched_type: ChedType, cn_codes: Iterable[str]) -> bool:
    """Plant-health goods of which any is wood (CN chapter 44)."""
    return ched_type is ChedType.CHED_PP and any(c.startswith(WOOD_CN_PREFIX) for c in cn_codes)


def lead_deadline(
    arrival: datetime,
    bcp: Bcp | None,
    *,
    wood: bool,
    working_days: int = DEFAULT_WORKING_DAYS,
) -> LeadDeadline:
    """The deadline for goods expected at `bcp` (None: no known BCP, the general rule)."""
    if bcp is not None and wood and bcp.wood_working_days is not None:
        deadline = working_days_before(arrival, bcp.wood_working_days)
        return LeadDeadline(deadline, "wood_working_days", bcp.wood_working_days, None, bcp.code)
    if bcp is not None and bcp.derogation_hours is not None:
        deadline = hours_before(arrival, bcp.derogation_hours)
        return LeadDeadline(deadline, "derogation_hours", None, bcp.derogation_hours, bcp.code)
    deadline = working_days_before(arrival, working_days)
    return LeadDeadline(deadline, "one_working_day", working_days, None)
