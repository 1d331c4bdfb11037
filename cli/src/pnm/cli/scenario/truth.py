"""The ground truth of a generated day: the status every manifest line should have when the day
ends, as pure functions of what the generator intended (which pre-notification covers which line
and whether in time, which one only looks like it does), never of matching the records.

The lead-time rules are the generator's own words for them (docs/border-control-posts.md);
tests/unit/cli/test_scenario_families.py holds them to pnm.shared.bcp.lead_time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pnm.shared import calendar
from pnm.shared.contracts.records import DecisionStatus, Regime

ARRIVAL_GRACE = timedelta(hours=6)  # no arrival event: the line counts as arrived at ETA + grace
HOURS_NOTICE = {"NLSPL": timedelta(hours=4), "NLMST": timedelta(hours=4)}  # BCP derogations
# A flight's port of discharge is often its city's code: by air, NLAMS is Schiphol's NLSPL.
AIRPORTS_BY_CITY = {"NLAMS": "NLSPL"}
# Wood (plant-health goods of chapter 44) at Rotterdam: five Dutch working days of notice.
WOOD_WORKING_DAYS = {"NLRTM": 5}
# The statuses, least to most in need of a person: a line's is its worst regime's. Written here
# apart from the matcher's ranking on purpose: the truth is what the matcher is judged against,
# so it must not move when the matcher does.
STATUS_RANK = (
    DecisionStatus.NOT_CONTROLLED,
    DecisionStatus.EXEMPT,
    DecisionStatus.NOTIFIED,
    DecisionStatus.NOTIFIED_LATE,
    DecisionStatus.AWAITING_NOTIFICATION,
    DecisionStatus.OVERDUE,
    DecisionStatus.REVIEW,
    DecisionStatus.INVALID_NOTIFICATION,
    DecisionStatus.UNNOTIFIED,
)


@dataclass(frozen=True)
class Notice:
    """A pre-notification as it stands at the end of the day (its latest version received)."""

    reference: str
    submitted_at: datetime
    active: bool  # submitted or validated; not cancelled, rejected or replaced


@dataclass(frozen=True)
class Claimant:
    """A pre-notification shares a key with one regime of a line."""

    reference: str
    fits: bool  # goods, weight and arrival agree: it covers the line; otherwise review


@dataclass(frozen=True)
class RegimeFacts:
    regime: Regime
    exempt: bool
    gross_kg: float  # of the line's goods of this regime
    claims: tuple[Claimant, ...] = ()
    wood: bool = False  # plant-health goods of chapter 44: the wood notice applies


@dataclass(frozen=True)
class LineTruth:
    """What the generator made a line to be, from which its expected status follows (not the
    matcher's `LineFacts`, which it reads from a manifest line)."""

    manifest_id: str
    line_id: str
    port: str
    eta: datetime  # the latest, after ETA updates
    arrived: bool  # an arrival event for the whole call or for the line's containers
    withdrawn: bool
    regimes: tuple[RegimeFacts, ...]  # the controlled regimes of its goods
    by_air: bool = False  # its port of discharge is that of a flight
    family: str | None = None  # the issue-16 family (and case) it was made for


@dataclass(frozen=True)
class DayFacts:
    now: datetime  # the end of the day: when the statuses are due
    lines: tuple[LineTruth, ...]
    notices: Mapping[str, Notice]
    emergencies: frozenset[Regime]  # regimes whose feed is in an emergency at `now`


def lead_time_deadline(
    eta: datetime, port: str, *, by_air: bool = False, wood: bool = False
) -> datetime:
    """One Dutch working day before the ETA at the same Amsterdam clock time, or the hours of
    notice a BCP grants instead; for wood, the working days the port asks for it."""
    if by_air:
        port = AIRPORTS_BY_CITY.get(port, port)
    if wood and port in WOOD_WORKING_DAYS:
        return working_days_before(eta, WOOD_WORKING_DAYS[port])
    if port in HOURS_NOTICE:
        return eta - HOURS_NOTICE[port]
    return working_days_before(eta, 1)


def working_days_before(eta: datetime, count: int) -> datetime:
    """`count` Dutch working days before the ETA, at the same Amsterdam clock time (the one
    working-day calendar, pnm.shared.calendar), in UTC like the generator's other times."""
    return calendar.working_days_before(eta, count).astimezone(UTC)


def expected_statuses(facts: DayFacts) -> list[dict[str, str]]:
    rows = [
        {"manifest_id": line.manifest_id, "line_id": line.line_id, "status": status.value}
        for line in facts.lines
        for status in [line_status(line, facts)]
    ]
    return sorted(rows, key=lambda row: (row["manifest_id"], row["line_id"]))


def line_status(line: LineTruth, facts: DayFacts) -> DecisionStatus:
    if line.withdrawn or not line.regimes:
        return DecisionStatus.NOT_CONTROLLED
    statuses = [regime_status(line, regime, facts) for regime in line.regimes]
    return max(statuses, key=STATUS_RANK.index)


def regime_status(line: LineTruth, regime: RegimeFacts, facts: DayFacts) -> DecisionStatus:
    if regime.exempt:
        return DecisionStatus.EXEMPT
    covering = [facts.notices[c.reference] for c in regime.claims if c.fits]
    active = [notice for notice in covering if notice.active]
    deadline = lead_time_deadline(line.eta, line.port, by_air=line.by_air, wood=regime.wood)
    if active:
        in_time = any(notice.submitted_at <= deadline for notice in active)
        return DecisionStatus.NOTIFIED if in_time else DecisionStatus.NOTIFIED_LATE
    if any(not c.fits and facts.notices[c.reference].active for c in regime.claims):
        return DecisionStatus.REVIEW
    if covering:
        return DecisionStatus.INVALID_NOTIFICATION
    return without_notification(line, facts.now, deadline, regime.regime in facts.emergencies)


def without_notification(
    line: LineTruth, now: datetime, deadline: datetime, feed_emergency: bool
) -> DecisionStatus:
    if line.arrived or now >= line.eta + ARRIVAL_GRACE:
        status = DecisionStatus.UNNOTIFIED
    elif now >= deadline:
        status = DecisionStatus.OVERDUE
    else:
        return DecisionStatus.AWAITING_NOTIFICATION
    # While the regime's feed is down, missing notifications may just not have come through.
    return DecisionStatus.AWAITING_NOTIFICATION if feed_emergency else status
