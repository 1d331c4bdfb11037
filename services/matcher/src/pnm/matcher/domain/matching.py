"""Arrival, current ETA and covered mass of a line, and the decision record. Pure: the service
reads the facts from its tables, the replay tool from memory."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from pnm.matcher.domain.decision import DecisionOutcome, Evidence, LineSituation, decide
from pnm.matcher.domain.facts import LineFacts
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.selection import Selected
from pnm.matcher.domain.watermark import BACKLOG, Backlog
from pnm.shared.contracts.records import Decision, ManifestLine, Regime, goods_summary


@dataclass(frozen=True, slots=True)
class ArrivalFacts:
    manifest_id: str
    containers: frozenset[str] | None  # None: the whole vessel or flight
    arrived_at: datetime


@dataclass(frozen=True, slots=True)
class EtaFacts:
    manifest_id: str
    containers: frozenset[str] | None  # None: every line of the manifest
    eta: datetime
    received_at: datetime


def _applies(manifest_id: str, containers: frozenset[str], target: ArrivalFacts | EtaFacts) -> bool:
    return target.manifest_id == manifest_id and (
        target.containers is None or bool(target.containers & containers)
    )


def arrived_at(
    manifest_id: str, containers: frozenset[str], arrivals: Iterable[ArrivalFacts]
) -> datetime | None:
    """The first arrival of the line's vessel or flight, or of one of its containers."""
    return min(
        (a.arrived_at for a in arrivals if _applies(manifest_id, containers, a)), default=None
    )


def current_eta(
    line: ManifestLine, containers: frozenset[str], updates: Iterable[EtaFacts]
) -> datetime:
    """The latest ETA update that applies to the line, else the ETA the line was declared with.
    Latest by reception, then by ETA, so that the order of ties never matters."""
    latest = max(
        (u for u in updates if _applies(line.manifest_id, containers, u)),
        key=lambda u: (u.received_at, u.eta),
        default=None,
    )
    return latest.eta if latest is not None else line.eta


def decision_record(
    line: ManifestLine,
    containers: frozenset[str],
    transport_document: str,
    outcome: DecisionOutcome,
    number: int,
    indicator_set_version: str,
    decided_at: datetime,
) -> Decision:
    # Built from a validated line and the domain's own values: not validated again (the
    # decisions of a replay are most of its objects; tests/unit/matcher/test_corpus.py checks that
    # validating them changes nothing).
    return Decision.model_construct(
        manifest_id=line.manifest_id,
        line_id=line.line_id,
        line_version=line.version,
        decision_number=number,
        status=outcome.status,
        regimes=list(outcome.regimes),
        per_regime=list(outcome.per_regime),
        references=list(outcome.references),
        reasons=list(outcome.reasons),
        explanation=list(outcome.explanation),
        indicator_set_version=indicator_set_version,
        decided_at=decided_at,
        terminal=line.terminal,
        containers=sorted(containers),
        transport_document=transport_document,
        goods=goods_summary(line),
    )


_SUBSTANCE = (
    "status",
    "per_regime",
    "references",
    "reasons",
    "terminal",
    "containers",
    "transport_document",
    "indicator_set_version",
)


def same_substance(previous: Decision, current: Decision) -> bool:
    """Two decisions differ when what they say differs; numbers, times and line versions
    alone do not make a new decision."""
    return all(getattr(previous, f) == getattr(current, f) for f in _SUBSTANCE)


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: Decision
    changed: bool  # differs in substance from the previous decision: publish it
    next_deadline: datetime | None  # when time alone may change it
    feed_held: bool  # held back as awaiting for a feed outage or the watermark
    held_since: datetime | None  # the moment a block held for the watermark is taken as of


HELD_BACK = frozenset({"feed_outage", BACKLOG})


def evaluate(
    record: ManifestLine,
    facts: LineFacts,
    candidates: Iterable[Evidence],
    etas: Iterable[EtaFacts],
    arrivals: Iterable[ArrivalFacts],
    degraded: Mapping[Regime, str],
    previous: Decision | None,
    indicators: IndicatorSet,
    now: datetime,
    backlog: Backlog | None = None,
    selected: Mapping[Regime, Selected] | None = None,
) -> Evaluation:
    """One line through every stage, as both the service and the replay run it. `backlog`:
    see `decide`; its moment is that of the first evaluation that held the line for it.
    `selected`: see `LineSituation`."""
    outcome = decide(
        LineSituation(
            record,
            facts,
            current_eta(record, facts.containers, etas),
            arrived_at(record.manifest_id, facts.containers, arrivals),
            selected,
        ),
        indicators,
        candidates,
        now,
        degraded,
        {d.regime: d.status for d in previous.per_regime} if previous else None,
        backlog,
    )
    result = decision_record(
        record,
        facts.containers,
        facts.transport_document,
        outcome,
        previous.decision_number + 1 if previous else 1,
        indicators.version,
        now,
    )
    return Evaluation(
        result,
        previous is None or not same_substance(previous, result),
        outcome.next_deadline,
        any(r.code in HELD_BACK for r in outcome.reasons),
        backlog.since
        if backlog is not None and any(r.code == BACKLOG for r in outcome.reasons)
        else None,
    )
