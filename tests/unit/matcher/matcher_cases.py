"""Shared builders for the matcher's domain tests: a line's situation and its evidence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.domain.decision import DecisionOutcome, Evidence, LineSituation, decide
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.quantity import Quantity
from pnm.matcher.domain.watermark import Backlog
from pnm.shared.contracts.records import DecisionStatus, ManifestLine, PreNotification, Regime
from pnm.testing.records import BASE_ETA

INDICATORS = shipped_indicator_set()
BEFORE_DEADLINE = BASE_ETA - timedelta(days=5)


def evidence(record: PreNotification, other_lines_gross_kg: float = 0.0) -> Evidence:
    return Evidence(NotificationFacts.of(record), Quantity(other_lines_gross_kg, 0))


def decide_at(
    line: ManifestLine,
    notifications: Sequence[PreNotification] = (),
    *,
    arrived: bool = False,
    now: datetime | None = None,
    degraded: Mapping[Regime, str] | None = None,
    previous: Mapping[Regime, DecisionStatus] | None = None,
    indicators: IndicatorSet = INDICATORS,
    backlog: Backlog | None = None,
) -> DecisionOutcome:
    """Decide the line as if each notification covered it alone."""
    facts = LineFacts.of(line)
    return decide(
        LineSituation(line, facts, line.eta, line.eta if arrived else None),
        indicators,
        [evidence(n) for n in notifications],
        now or (line.eta if arrived else BEFORE_DEADLINE),
        degraded,
        previous,
        backlog,
    )
