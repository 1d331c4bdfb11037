"""Candidates and arrival for a line, from the keys the matcher keeps. Pure: the service reads
the keys from its tables, the replay tool from memory."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from pnm.matcher.domain.decision import Candidate, Outcome
from pnm.shared.contracts.records import (
    ChedType,
    Decision,
    ManifestLine,
    PreNotificationStatus,
)


@dataclass(frozen=True)
class NotificationKeys:
    reference: str
    ched_type: ChedType
    status: PreNotificationStatus
    containers: frozenset[str]
    transport_document: str | None


@dataclass(frozen=True)
class ArrivalFacts:
    manifest_id: str
    containers: frozenset[str] | None  # None: the whole vessel or flight


def candidates_for(
    containers: frozenset[str], transport_document: str, notifications: Iterable[NotificationKeys]
) -> list[Candidate]:
    found = []
    for n in notifications:
        if containers & n.containers:
            matched_on = "container"
        elif n.transport_document and n.transport_document == transport_document:
            matched_on = "transport_document"
        else:
            continue
        found.append(Candidate(n.reference, n.ched_type, n.status, matched_on))
    return found


def has_arrived(
    manifest_id: str, containers: frozenset[str], arrivals: Iterable[ArrivalFacts]
) -> bool:
    return any(
        a.manifest_id == manifest_id and (a.containers is None or bool(a.containers & containers))
        for a in arrivals
    )


def decision_record(
    line: ManifestLine,
    containers: frozenset[str],
    transport_document: str,
    outcome: Outcome,
    number: int,
    indicator_set_version: str,
    decided_at: datetime,
) -> Decision:
    return Decision(
        manifest_id=line.manifest_id,
        line_id=line.line_id,
        line_version=line.version,
        decision_number=number,
        status=outcome.status,
        regimes=list(outcome.regimes),
        per_regime=list(outcome.per_regime),
        references=list(outcome.references),
        reasons=list(outcome.reasons),
        explanation=[],
        indicator_set_version=indicator_set_version,
        decided_at=decided_at,
        terminal=line.terminal,
        containers=sorted(containers),
        transport_document=transport_document,
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
