"""Was the pre-notification made in time? The rules are the project's (`pnm.shared.bcp.lead_time`,
Impl. Reg. (EU) 2019/1013 Art. 1); here they are applied to a submitted record."""

from __future__ import annotations

from dataclasses import dataclass

from pnm.shared.bcp.lead_time import LeadDeadline, is_wood, lead_deadline
from pnm.shared.bcp.table import Bcp
from pnm.shared.contracts.records import PreNotification


@dataclass(frozen=True)
class LeadTime(LeadDeadline):
    on_time: bool = False


def lead_time(record: PreNotification, bcp: Bcp | None) -> LeadTime:
    due = lead_deadline(
        record.expected_arrival,
        bcp,
        wood=is_wood(record.ched_type, (c.cn_code for c in record.commodities)),
    )
    return LeadTime(
        due.deadline,
        due.rule,
        due.working_days,
        due.hours,
        due.bcp,
        due.met_by(record.submitted_at),
    )
