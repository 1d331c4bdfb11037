"""What the domain needs to decide a set of lines, read from the matcher's tables with a fixed
number of set-based, indexed queries (never a scan of the pre-notifications)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.block_index import lines_with_keys, notifications_with_keys
from pnm.matcher.adapters.tables import arrival, decision, eta_update, feed, line, prenotification
from pnm.matcher.domain.blocking import NotificationIndex
from pnm.matcher.domain.decision import Evidence, select_regimes
from pnm.matcher.domain.facts import STRONG, LineFacts, NotificationFacts
from pnm.matcher.domain.feeds import degraded_feeds
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import (
    ArrivalFacts,
    EtaFacts,
    Evaluation,
    current_eta,
    evaluate,
)
from pnm.matcher.domain.scoring import covers
from pnm.shared.contracts.records import Decision, FeedStatus, ManifestLine

LineKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class StoredLine:
    record: ManifestLine
    facts: LineFacts


@dataclass
class MatcherState:
    indicators: IndicatorSet
    lines: dict[LineKey, StoredLine]
    candidates: NotificationIndex
    covered: dict[str, dict[LineKey, float]]  # the lines each candidate covers, their mass
    etas: dict[str, list[EtaFacts]]
    arrivals: dict[str, list[ArrivalFacts]]
    feeds: list[FeedStatus]
    previous: dict[LineKey, Decision]
    schedule: dict[LineKey, tuple[datetime | None, bool]]  # stored next deadline, feed held

    @property
    def keys(self) -> list[LineKey]:
        return sorted(self.lines)

    def eta_of(self, key: LineKey) -> datetime:
        line = self.lines[key]
        return current_eta(line.record, line.facts.containers, self.etas.get(key[0], ()))

    def evaluate(self, key: LineKey, now: datetime) -> Evaluation:
        line = self.lines[key]
        return evaluate(
            line.record,
            line.facts,
            [
                Evidence(n, sum(kg for k, kg in self.covered[n.reference].items() if k != key))
                for n in self.candidates.candidates(line.facts)
            ],
            self.etas.get(key[0], ()),
            self.arrivals.get(key[0], ()),
            degraded_feeds(self.feeds, now, self.indicators.parameters),
            self.previous.get(key),
            self.indicators,
            now,
        )


async def _lines(conn: AsyncConnection, keys: set[LineKey]) -> dict[LineKey, StoredLine]:
    rows = await conn.execute(
        select(line.c.manifest_id, line.c.line_id, line.c.record).where(
            tuple_(line.c.manifest_id, line.c.line_id).in_(sorted(keys))
        )
    )
    lines = {}
    for r in rows:
        record = ManifestLine.model_validate(r.record)
        lines[(r.manifest_id, r.line_id)] = StoredLine(record, LineFacts.of(record))
    return lines


async def _candidates(
    conn: AsyncConnection, lines: dict[LineKey, StoredLine]
) -> list[NotificationFacts]:
    """Stage 4 in SQL: pre-notifications sharing a block key with a line (btree on the key
    table). The domain then applies the exact block rules (arrival window, party)."""
    if not lines:
        return []
    keys = {k for line_ in lines.values() for k in line_.facts.block_keys}
    rows = await conn.execute(
        select(prenotification.c.reference, prenotification.c.facts).where(
            prenotification.c.reference.in_(notifications_with_keys(keys).scalar_subquery()),
            prenotification.c.facts.is_not(None),
        )
    )
    return [NotificationFacts.from_json(facts) for _, facts in sorted(rows.all())]


async def _lines_and_candidates(
    conn: AsyncConnection, keys: set[LineKey], indicators: IndicatorSet, *, expand: bool
) -> tuple[dict[LineKey, StoredLine], list[NotificationFacts]]:
    """The lines and the candidates of those the indicator set selects (most manifest lines
    carry goods nobody notifies). Expanded: plus every other line a pre-notification covering
    one of them covers (a new line changes the summed mass that notification is weighed
    against), and their candidates; each row is read once."""

    def controlled(found: dict[LineKey, StoredLine]) -> dict[LineKey, StoredLine]:
        return {k: v for k, v in found.items() if select_regimes(v.record, indicators)}

    lines = await _lines(conn, keys)
    candidates = await _candidates(conn, controlled(lines))
    if not expand:
        return lines, candidates
    index = NotificationIndex(candidates)
    covering_keys = {
        k
        for f in (line_.facts for line_ in lines.values())
        for n in index.candidates(f)
        if covers(f.strong_keys, f.containers, f.transport_document, n)
        for k in n.covering_keys
    }
    if not covering_keys:
        return lines, candidates
    rows = await conn.execute(lines_with_keys(covering_keys))
    more = await _lines(conn, {(r.manifest_id, r.line_id) for r in rows} - set(lines))
    if not more:
        return lines, candidates
    known = {n.reference for n in candidates}
    extra = [n for n in await _candidates(conn, controlled(more)) if n.reference not in known]
    return lines | more, sorted([*candidates, *extra], key=lambda n: n.reference)


async def load_state(
    conn: AsyncConnection, keys: set[LineKey], indicators: IndicatorSet, *, expand: bool
) -> MatcherState:
    lines, candidates = await _lines_and_candidates(conn, keys, indicators, expand=expand)
    manifests = sorted({k[0] for k in lines})
    etas: dict[str, list[EtaFacts]] = defaultdict(list)
    for r in await conn.execute(select(eta_update).where(eta_update.c.manifest_id.in_(manifests))):
        etas[r.manifest_id].append(
            EtaFacts(r.manifest_id, _set(r.containers), r.eta, r.received_at)
        )
    arrivals: dict[str, list[ArrivalFacts]] = defaultdict(list)
    for r in await conn.execute(select(arrival).where(arrival.c.manifest_id.in_(manifests))):
        arrivals[r.manifest_id].append(
            ArrivalFacts(r.manifest_id, _set(r.containers), r.arrived_at)
        )
    covered = await _covered(conn, candidates)
    previous: dict[LineKey, Decision] = {}
    schedule: dict[LineKey, tuple[datetime | None, bool]] = {}
    for r in await conn.execute(
        select(
            decision.c.manifest_id,
            decision.c.line_id,
            decision.c.payload,
            decision.c.next_deadline,
            decision.c.feed_held,
        ).where(tuple_(decision.c.manifest_id, decision.c.line_id).in_(sorted(lines)))
    ):
        previous[(r.manifest_id, r.line_id)] = Decision.model_validate(r.payload)
        schedule[(r.manifest_id, r.line_id)] = (r.next_deadline, r.feed_held)
    feeds = [FeedStatus.model_validate(r.status) for r in await conn.execute(select(feed))]
    return MatcherState(
        indicators,
        lines,
        NotificationIndex(candidates),
        covered,
        etas,
        arrivals,
        feeds,
        previous,
        schedule,
    )


async def _covered(
    conn: AsyncConnection, candidates: list[NotificationFacts]
) -> dict[str, dict[LineKey, float]]:
    """Per candidate, the gross mass of every line it covers by key (a strong key or a typo
    of one)."""
    keys = {k for n in candidates for k in n.covering_keys}
    covering = lines_with_keys(keys).subquery()
    by_key: dict[str, list[_Covering]] = defaultdict(list)
    for r in await conn.execute(
        select(
            line.c.manifest_id,
            line.c.line_id,
            line.c.block_keys,
            line.c.containers,
            line.c.transport_document,
            line.c.gross_mass_kg,
        ).where(
            tuple_(line.c.manifest_id, line.c.line_id).in_(
                select(covering.c.manifest_id, covering.c.line_id)
            )
        )
    ):
        entry = _Covering(
            (r.manifest_id, r.line_id),
            frozenset(k for k in r.block_keys if k.split(":", 1)[0] in STRONG),
            frozenset(r.containers),
            r.transport_document,
            r.gross_mass_kg,
        )
        for k in r.block_keys:
            by_key[k].append(entry)
    covered: dict[str, dict[LineKey, float]] = {}
    for n in candidates:
        near = {e.key: e for k in n.covering_keys for e in by_key.get(k, ())}
        covered[n.reference] = {
            key: e.gross_mass_kg
            for key, e in near.items()
            if covers(e.strong_keys, e.containers, e.transport_document, n)
        }
    return covered


@dataclass(frozen=True, slots=True)
class _Covering:
    """A line as far as coverage needs it."""

    key: LineKey
    strong_keys: frozenset[str]
    containers: frozenset[str]
    transport_document: str
    gross_mass_kg: float


def _set(values: Any) -> frozenset[str] | None:
    return None if values is None else frozenset(values)
