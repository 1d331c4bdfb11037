"""The overview's KPIs and the banner's alerts (docs/kpis.md). Pure: the read model's counts in,
figures out; kpi_views.py does the SQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pnm.shared.case_outcomes import IndicatorOutcomes

# Decisions of a controlled line that are final enough to say whether it was notified in time:
# notified in time, notified after the deadline, or not (validly) notified at all. The others
# (awaiting_notification, review) may still become any of these; not_controlled and exempt need
# no notification.
SETTLED = ("notified", "notified_late", "unnotified", "invalid_notification", "overdue")
IN_TIME = "notified"
# A case or hold without an indicator or a terminal is counted under this name.
NONE = "(none)"


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def rate(self) -> float | None:
        """part / whole; None when there is nothing to divide (not 0 %: nothing is known)."""
        return self.part / self.whole if self.whole else None


@dataclass(frozen=True)
class NotifiedInTime:
    total: Share
    by_bcp: list[tuple[str, Share]]


def notified_in_time(counts: Iterable[tuple[str | None, str, int]]) -> NotifiedInTime:
    """From (bcp, status, lines): the share `notified` of the settled controlled lines, in all
    and per BCP (the BCPs by name)."""
    whole: dict[str, int] = {}
    part: dict[str, int] = {}
    for bcp, status, lines in counts:
        if status not in SETTLED:
            continue
        name = bcp or NONE
        whole[name] = whole.get(name, 0) + lines
        part[name] = part.get(name, 0) + (lines if status == IN_TIME else 0)
    total = Share(sum(part.values()), sum(whole.values()))
    return NotifiedInTime(total, [(name, Share(part[name], whole[name])) for name in sorted(whole)])


def indicator_kpis(counts: Iterable[tuple[str, str, int]]) -> list[IndicatorOutcomes]:
    """From (indicator, outcome, cases) of closed cases: each indicator's outcomes, the one that
    closed most cases first. A case flagged by two indicators counts once for each."""
    by_indicator: dict[str, dict[str, int]] = {}
    for indicator, outcome, cases in counts:
        outcomes = by_indicator.setdefault(indicator or NONE, {})
        outcomes[outcome] = outcomes.get(outcome, 0) + cases
    found = [IndicatorOutcomes(name, dict(sorted(o.items()))) for name, o in by_indicator.items()]
    return sorted(found, key=lambda i: (-i.closed, i.indicator))


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def per_hour(
    counts: Mapping[datetime, int], now: datetime, hours: int
) -> list[tuple[datetime, int]]:
    """The last `hours` hours up to and including the current one, oldest first, each with its
    count (0 for an hour without any): a quiet hour is a figure too."""
    current = hour_of(now)
    starts = [current - timedelta(hours=back) for back in range(hours - 1, -1, -1)]
    return [(start, counts.get(start, 0)) for start in starts]


@dataclass(frozen=True)
class TerminalHolds:
    terminal: str
    holds: int
    acknowledged: int
    median_ack_seconds: float | None

    @property
    def median_ack_minutes(self) -> float | None:
        return None if self.median_ack_seconds is None else self.median_ack_seconds / 60


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


AlertKind = Literal["emergency", "quiet"]


@dataclass(frozen=True)
class FeedAlert:
    kind: AlertKind
    system: str
    since: datetime | None
    note: str | None = None


def feed_alerts(
    feeds: Iterable[Mapping[str, Any]], now: datetime, quiet_minutes: Mapping[str, float]
) -> list[FeedAlert]:
    """What the banner says about the feeds: each declared emergency, and each feed quiet longer
    than its threshold (neither a record nor a heartbeat since). A feed in an emergency is not
    also called quiet: the emergency says more. A feed never heard from is not quiet: silence is
    measured from the last sign of life, as the matcher does."""
    emergencies: list[FeedAlert] = []
    quiet: list[FeedAlert] = []
    for feed in sorted(feeds, key=lambda f: str(f["system"])):
        system = str(feed["system"])
        if feed["emergency"]:
            emergencies.append(
                FeedAlert("emergency", system, feed["emergency_since"], feed.get("note"))
            )
            continue
        signs = [t for t in (feed["last_record_at"], feed["last_heartbeat_at"]) if t is not None]
        limit = quiet_minutes.get(system)
        if signs and limit is not None and now - max(signs) > timedelta(minutes=limit):
            quiet.append(FeedAlert("quiet", system, max(signs)))
    return emergencies + quiet


ReconciliationStatus = Literal["clear", "gaps", "refused", "unreachable", "unreadable"]


@dataclass(frozen=True)
class Reconciliation:
    """One service's reconciliation as the person may see it: its gaps by kind, or why not."""

    service: str
    status: ReconciliationStatus
    gaps: dict[str, int]
    oldest_seconds: float | None = None
    detail: str = ""

    @property
    def total(self) -> int:
        return sum(self.gaps.values())


def reconciliation(service: str, status: int, body: Any, detail: str) -> Reconciliation:
    """A service's answer to GET /<service>/reconciliation, read: a refusal (its detail shown as
    the service said it) or a body that is not a report is never shown as "no gaps"."""
    if not 200 <= status < 300:
        return Reconciliation(service, "refused", {}, detail=f"{status}: {detail}"[:300])
    gaps = body.get("gaps") if isinstance(body, dict) else None
    oldest = body.get("oldest_gap_seconds") if isinstance(body, dict) else None
    if not (isinstance(gaps, dict) and all(isinstance(n, int) for n in gaps.values())):
        return Reconciliation(service, "unreadable", {}, detail=str(body)[:300])
    ages = [float(a) for a in (oldest or {}).values() if isinstance(a, int | float) and a > 0]
    return Reconciliation(
        service,
        "gaps" if sum(gaps.values()) else "clear",
        dict(sorted(gaps.items())),
        max(ages) if ages else None,
    )
