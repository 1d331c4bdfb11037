"""The matcher's store over its PostgreSQL tables (`service_layer.store.Store`): one
set-based statement per kind of row and question per step, never one per line or event.

It also keeps the step's footprints (`footprints`): every question adds what it read, every
write what it wrote, so that a batch of lines decided before the decision lock can be checked
under it."""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    bindparam,
    cast,
    exists,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from pnm.matcher.adapters.block_index import (
    any_of,
    lines_by_key,
    lines_near,
    notifications_with_keys,
    of_lines,
    replace_line_keys,
    replace_notification_keys,
)
from pnm.matcher.adapters.footprints import Footprint, changed_since, last_epoch, record
from pnm.matcher.adapters.indicator_sets import active_indicator_set
from pnm.matcher.adapters.linked_references import linked_references, requote, store_links
from pnm.matcher.adapters.tables import (
    arrival,
    decision,
    decision_history,
    eta_update,
    feed,
    line,
    prenotification,
    prenotification_watermark,
)
from pnm.matcher.domain.facts import LineFacts, NotificationFacts, strong_keys
from pnm.matcher.domain.indicators import IndicatorSet
from pnm.matcher.domain.matching import ArrivalFacts, EtaFacts
from pnm.matcher.domain.quantity import Quantity
from pnm.matcher.domain.watermark import PartitionMark, feed_watermark
from pnm.matcher.service_layer.store import (
    DecisionStep,
    LineInput,
    NearLine,
    NotificationInput,
    NotificationWritten,
    StoredDecision,
    StoredLine,
)
from pnm.shared.contracts.records import (
    CaseChanged,
    Decision,
    FeedStatus,
    LineKey,
    ManifestLine,
    Record,
)
from pnm.shared.db import upsert, upsert_newer

MATCHER_LOCK = 0x706E6D_6D61  # "pnm" "ma": the advisory lock that serialises decisions
HISTORY_COLUMNS = ("manifest_id", "line_id", "decision_number", "status", "payload")


class _FactsCache:
    """Parsed facts of stored pre-notification versions, least recently used out. A version
    never changes once stored, so the cache needs no invalidation, in any number of matcher
    processes; it saves reading and parsing a vessel's notifications for every batch."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._facts: OrderedDict[tuple[str, int], NotificationFacts] = OrderedDict()

    def get(self, reference: str, version: int) -> NotificationFacts | None:
        found = self._facts.get((reference, version))
        if found is not None:
            self._facts.move_to_end((reference, version))
        return found

    def put(self, version: int, facts: NotificationFacts) -> None:
        self._facts[(facts.reference, version)] = facts
        if len(self._facts) > self._capacity:
            self._facts.popitem(last=False)


_facts_cache = _FactsCache(capacity=50_000)


def _sorted(values: frozenset[str] | None) -> list[str] | None:
    return None if values is None else sorted(values)


def _raw(raw: Mapping[str, Any] | None, record: Record) -> Mapping[str, Any]:
    return raw if raw is not None else record.model_dump(mode="json")


def _set(values: Any) -> frozenset[str] | None:
    return None if values is None else frozenset(values)


class PostgresStore:
    """One per transaction (the connection's)."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._known: dict[LineKey, StoredLine] = {}  # lines this step wrote: not read back
        self._read = Footprint()
        self._wrote = Footprint()
        self._locked = False
        self._indicators: IndicatorSet | None = None

    # Inputs ------------------------------------------------------------------------------

    async def put_lines(self, lines: Sequence[LineInput]) -> dict[LineKey, StoredLine]:
        by_key = {(i.line.record.manifest_id, i.line.record.line_id): i.line for i in lines}
        written = {
            (w.manifest_id, w.line_id): by_key[(w.manifest_id, w.line_id)]
            for w in await upsert_newer(
                self._conn,
                line,
                [
                    {
                        "manifest_id": i.line.record.manifest_id,
                        "line_id": i.line.record.line_id,
                        "version": i.line.record.version,
                        "withdrawn": i.line.record.withdrawn,
                        "containers": sorted(i.line.facts.containers),
                        "transport_document": i.line.facts.transport_document,
                        "record": _raw(i.raw, i.line.record),
                        "block_keys": sorted(i.line.facts.block_keys),
                        "gross_mass_kg": i.line.facts.gross_mass_kg,
                        "packages": i.line.facts.packages,
                    }
                    for i in lines
                ],
                key=["manifest_id", "line_id"],
            )
        }
        # A new version keeps the references linked to the line's case (docs/cases.md).
        requoted = await requote(self._conn, {k: s.record for k, s in written.items()})
        for key, facts in requoted.items():
            written[key] = StoredLine(written[key].record, facts)
        await self._keep_line_keys(written)
        return written

    async def _keep_line_keys(self, lines: Mapping[LineKey, StoredLine]) -> None:
        await replace_line_keys(self._conn, {k: s.facts.block_keys for k, s in lines.items()})
        self._known.update(lines)
        for stored in lines.values():
            self._wrote.add_coverage(stored.facts)
        self._wrote.add_lines(lines)

    async def put_notifications(
        self, notifications: Sequence[NotificationInput]
    ) -> list[NotificationWritten]:
        if not notifications:
            return []
        by_reference = {n.record.reference: n for n in notifications}
        previous = {
            r.reference: frozenset(r.block_keys or ())
            for r in await self._conn.execute(
                select(prenotification.c.reference, prenotification.c.block_keys).where(
                    prenotification.c.reference == any_of(by_reference)
                )
            )
        }
        written = [
            by_reference[w.reference]
            for w in await upsert_newer(
                self._conn,
                prenotification,
                [
                    {
                        "reference": n.record.reference,
                        "version": n.record.version,
                        "status": n.record.status.value,
                        "ched_type": n.record.ched_type.value,
                        "containers": sorted(n.facts.containers),
                        "transport_document": n.facts.transport_document,
                        "record": _raw(n.raw, n.record),
                        "block_keys": sorted(n.facts.block_keys),
                        "facts": n.facts.to_json(),
                    }
                    for n in notifications
                ],
                key=["reference"],
            )
        ]
        await replace_notification_keys(
            self._conn,
            {n.record.reference: (n.record.version, n.facts.block_keys) for n in written},
        )
        for n in written:
            _facts_cache.put(n.record.version, n.facts)
            self._wrote.notifications.add(n.record.reference)
            self._wrote.notification_keys.update(n.facts.block_keys)
        return [
            NotificationWritten(n.facts, previous.get(n.record.reference, frozenset()))
            for n in written
        ]

    async def add_arrivals(self, arrivals: Sequence[ArrivalFacts]) -> None:
        if arrivals:
            await self._conn.execute(
                insert(arrival),
                [
                    {
                        "manifest_id": a.manifest_id,
                        "arrived_at": a.arrived_at,
                        "containers": _sorted(a.containers),
                    }
                    for a in arrivals
                ],
            )
            self._wrote.manifests.update(a.manifest_id for a in arrivals)

    async def add_eta_updates(self, updates: Sequence[EtaFacts]) -> None:
        if updates:
            await self._conn.execute(
                insert(eta_update),
                [
                    {
                        "manifest_id": u.manifest_id,
                        "eta": u.eta,
                        "containers": _sorted(u.containers),
                        "received_at": u.received_at,
                    }
                    for u in updates
                ],
            )
            self._wrote.manifests.update(u.manifest_id for u in updates)

    async def put_feed_statuses(self, statuses: Sequence[FeedStatus]) -> None:
        for status in statuses:
            await self._conn.execute(
                pg_insert(feed)
                .values(system=status.system, status=status.model_dump(mode="json"))
                .on_conflict_do_update(
                    index_elements=[feed.c.system],
                    set_={"status": status.model_dump(mode="json")},
                    # Only a newer status replaces the one kept (compared as times, not text).
                    where=cast(feed.c.status["at"].astext, DateTime(timezone=True)) <= status.at,
                )
            )
            self._wrote.feeds = True

    async def note_feed_life(self, life: Mapping[str, datetime]) -> None:
        for system, at in life.items():
            last = cast(feed.c.status["last_record_at"].astext, DateTime(timezone=True))
            await self._conn.execute(
                feed.update()
                .where(
                    feed.c.system == system,
                    or_(feed.c.status["last_record_at"].astext.is_(None), last < at),
                )
                .values(status=feed.c.status.op("||")({"last_record_at": at.isoformat()}))
            )
            self._wrote.feed_life = True

    async def put_watermarks(self, marks: Sequence[PartitionMark], at: datetime) -> None:
        for mark in marks:
            await self._conn.execute(
                pg_insert(prenotification_watermark)
                .values(
                    partition=mark.partition,
                    partitions=mark.partitions,
                    watermark=mark.watermark,
                    received_at=at,
                )
                .on_conflict_do_update(
                    index_elements=[prenotification_watermark.c.partition],
                    set_={"partitions": mark.partitions, "watermark": mark.watermark},
                    where=prenotification_watermark.c.watermark < mark.watermark,
                )
            )

    async def put_links(self, cases: Sequence[CaseChanged]) -> dict[LineKey, StoredLine]:
        """The case's links kept; the lines declared already quote them from now on."""
        if not cases:
            return {}
        for case in cases:
            await store_links(self._conn, case)
        keys = {(c.manifest_id, c.line_id) for c in cases}
        # Locked: a new version of the line stored concurrently reads the links after it.
        rows = await self._conn.execute(
            select(line.c.manifest_id, line.c.line_id, line.c.record)
            .where(of_lines(line, keys))
            .with_for_update()
        )
        records = {(r.manifest_id, r.line_id): ManifestLine.model_validate(r.record) for r in rows}
        facts = await requote(self._conn, records)
        relinked = {key: StoredLine(records[key], facts[key]) for key in facts}
        await self._keep_line_keys(relinked)
        return relinked

    async def save_decisions(self, step: DecisionStep) -> None:
        self._wrote.add_lines(d.key for d in step.decided)
        if step.rescheduled:
            await self._conn.execute(
                decision.update()
                .where(
                    decision.c.manifest_id == bindparam("m"), decision.c.line_id == bindparam("l")
                )
                .values(
                    next_deadline=bindparam("next_deadline"),
                    feed_held=bindparam("feed_held"),
                    held_since=bindparam("held_since"),
                    port=bindparam("port"),
                    eta=bindparam("eta"),
                ),
                [
                    {
                        "m": d.key[0],
                        "l": d.key[1],
                        "next_deadline": d.evaluation.next_deadline,
                        "feed_held": d.evaluation.feed_held,
                        "held_since": d.evaluation.held_since,
                        "port": d.port,
                        "eta": d.eta,
                    }
                    for d in step.rescheduled
                ],
            )
        if not step.changed:
            return
        await upsert(
            self._conn,
            decision,
            [
                {
                    "manifest_id": d.key[0],
                    "line_id": d.key[1],
                    "decision_number": d.evaluation.decision.decision_number,
                    "status": d.evaluation.decision.status.value,
                    "references": list(d.evaluation.decision.references),
                    "payload": d.evaluation.decision.model_dump(mode="json"),
                    "decided_at": step.at,
                    "port": d.port,
                    "eta": d.eta,
                    "next_deadline": d.evaluation.next_deadline,
                    "feed_held": d.evaluation.feed_held,
                    "held_since": d.evaluation.held_since,
                }
                for d in step.changed
            ],
            ["manifest_id", "line_id"],
        )
        # The history copies the rows just written inside the database: the payloads are not
        # serialised and sent a second time.
        columns = [decision.c[c] for c in HISTORY_COLUMNS]
        await self._conn.execute(
            pg_insert(decision_history)
            .from_select(
                HISTORY_COLUMNS,
                select(*columns).where(of_lines(decision, [d.key for d in step.changed])),
            )
            .on_conflict_do_nothing()
        )

    # Questions ---------------------------------------------------------------------------

    async def indicator_set(self) -> IndicatorSet:
        if self._indicators is None:
            self._indicators = await active_indicator_set(self._conn)
        return self._indicators

    async def lines(self, keys: Collection[LineKey]) -> dict[LineKey, StoredLine]:
        found = {k: self._known[k] for k in keys if k in self._known}
        missing = set(keys) - set(found)
        if missing:
            rows = await self._conn.execute(
                select(line.c.manifest_id, line.c.line_id, line.c.record).where(
                    of_lines(line, missing)
                )
            )
            records = {
                (r.manifest_id, r.line_id): ManifestLine.model_validate(r.record) for r in rows
            }
            linked = await linked_references(self._conn, records)
            for key, record_ in records.items():
                found[key] = StoredLine(record_, LineFacts.of(record_, linked.get(key, ())))
        self._read.add_lines(found)
        return found

    async def lines_with_keys(self, block_keys: Collection[str]) -> dict[str, set[LineKey]]:
        found: dict[str, set[LineKey]] = defaultdict(set)
        if block_keys:
            for r in await self._conn.execute(lines_by_key(block_keys)):
                found[r.key].add((r.manifest_id, r.line_id))
        return found

    async def lines_quoting(self, references: Collection[str]) -> dict[str, set[LineKey]]:
        found: dict[str, set[LineKey]] = defaultdict(set)
        if references:
            wanted = set(references)
            rows = await self._conn.execute(
                select(decision.c.manifest_id, decision.c.line_id, decision.c.references).where(
                    decision.c.references.overlap(sorted(wanted))
                )
            )
            for r in rows:
                for reference in wanted.intersection(r.references):
                    found[reference].add((r.manifest_id, r.line_id))
        return found

    async def lines_of_manifests(
        self, manifests: Collection[str]
    ) -> dict[str, list[tuple[LineKey, frozenset[str]]]]:
        found: dict[str, list[tuple[LineKey, frozenset[str]]]] = defaultdict(list)
        rows = await self._conn.execute(
            select(line.c.manifest_id, line.c.line_id, line.c.containers).where(
                line.c.manifest_id == any_of(manifests)
            )
        )
        for r in rows:
            found[r.manifest_id].append(((r.manifest_id, r.line_id), frozenset(r.containers)))
        return found

    async def held_lines(self) -> set[LineKey]:
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id).where(decision.c.feed_held == true())
        )
        return {(r.manifest_id, r.line_id) for r in rows}

    async def overdue_lines(self) -> set[LineKey]:
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id).where(
                decision.c.payload.contains({"per_regime": [{"status": "overdue"}]})
            )
        )
        return {(r.manifest_id, r.line_id) for r in rows}

    async def any_held(self) -> bool:
        return bool(await self._conn.scalar(select(exists().where(decision.c.feed_held == true()))))

    async def due_lines(self, now: datetime, limit: int | None) -> list[LineKey]:
        """Locked, and skipped by a concurrent matcher process: each is decided once."""
        rows = await self._conn.execute(
            select(decision.c.manifest_id, decision.c.line_id)
            .where(decision.c.next_deadline <= now)
            .order_by(decision.c.next_deadline)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [(r.manifest_id, r.line_id) for r in rows]

    async def next_due(self) -> datetime | None:
        result: datetime | None = await self._conn.scalar(
            select(func.min(decision.c.next_deadline))
        )
        return result

    async def notifications_with_keys(self, block_keys: Collection[str]) -> list[NotificationFacts]:
        """Stage 4 in SQL: pre-notifications sharing a block key, one index probe per key,
        with their version; the facts of versions seen before come from the cache. The domain
        then applies the exact block rules (arrival window, party)."""
        self._read.notification_keys.update(block_keys)
        found: dict[str, NotificationFacts] = {}
        missing = []
        for reference, version in await self._conn.execute(notifications_with_keys(block_keys)):
            cached = _facts_cache.get(reference, version)
            if cached is None:
                missing.append(reference)
            else:
                found[reference] = cached
        if missing:
            for reference, version, facts, keys in await self._conn.execute(
                select(
                    prenotification.c.reference,
                    prenotification.c.version,
                    prenotification.c.facts,
                    prenotification.c.block_keys,
                ).where(
                    prenotification.c.reference == any_of(missing),
                    prenotification.c.facts.is_not(None),
                )
            ):
                # Stored with the facts of the same version; none only in rows older than keys.
                found[reference] = NotificationFacts.from_json(facts, keys or None)
                _facts_cache.put(version, found[reference])
        self._read.notifications.update(found)
        return [found[r] for r in sorted(found)]

    async def lines_near(
        self, notifications: Collection[NotificationFacts]
    ) -> dict[str, list[NearLine]]:
        near: dict[str, list[NearLine]] = defaultdict(list)
        for n in notifications:
            self._read.add_coverage(n)
        for r in await self._conn.execute(lines_near([n.reference for n in notifications])):
            containers = frozenset(r.containers)
            key = (r.manifest_id, r.line_id)
            near[r.reference].append(
                NearLine(
                    key,
                    strong_keys(containers, r.transport_document, ()) | set(r.references or ()),
                    containers,
                    r.transport_document,
                    Quantity(r.gross_mass_kg, r.packages),
                )
            )
            self._read.add_lines([key])
        return near

    async def etas(self, manifests: Collection[str]) -> dict[str, list[EtaFacts]]:
        self._read.manifests.update(manifests)
        etas: dict[str, list[EtaFacts]] = defaultdict(list)
        for r in await self._conn.execute(
            select(eta_update).where(eta_update.c.manifest_id == any_of(manifests))
        ):
            etas[r.manifest_id].append(
                EtaFacts(r.manifest_id, _set(r.containers), r.eta, r.received_at)
            )
        return etas

    async def arrivals(self, manifests: Collection[str]) -> dict[str, list[ArrivalFacts]]:
        self._read.manifests.update(manifests)
        arrivals: dict[str, list[ArrivalFacts]] = defaultdict(list)
        for r in await self._conn.execute(
            select(arrival).where(arrival.c.manifest_id == any_of(manifests))
        ):
            arrivals[r.manifest_id].append(
                ArrivalFacts(r.manifest_id, _set(r.containers), r.arrived_at)
            )
        return arrivals

    async def feeds(self) -> list[FeedStatus]:
        self._read.feeds = True
        return [FeedStatus.model_validate(r.status) for r in await self._conn.execute(select(feed))]

    async def watermark(self) -> datetime | None:
        return await read_watermark(self._conn)

    async def decisions(self, keys: Collection[LineKey]) -> dict[LineKey, StoredDecision]:
        if not keys:
            return {}
        rows = await self._conn.execute(
            select(
                decision.c.manifest_id,
                decision.c.line_id,
                decision.c.payload,
                decision.c.next_deadline,
                decision.c.feed_held,
                decision.c.held_since,
                decision.c.port,
                decision.c.eta,
            ).where(of_lines(decision, keys))
        )
        return {
            (r.manifest_id, r.line_id): StoredDecision(
                Decision.model_validate(r.payload),
                (r.next_deadline, r.feed_held, r.held_since),
                r.port,
                r.eta,
            )
            for r in rows
        }

    # Concurrency -------------------------------------------------------------------------

    async def begin_optimistic(self) -> int | None:
        return None if self._locked else await last_epoch(self._conn)

    async def serialise(self) -> None:
        """One matcher decision step at a time, taken once per transaction after its inputs
        are written; released at commit. A line and the notification that covers it may come
        in concurrent transactions (two topics, two partitions, two processes); under READ
        COMMITTED each would look for the other before it committed and neither would see
        it. With the lock, whichever decides second sees the other committed. Storing inputs
        needs no lock, and a batch of lines reads and decides before taking it, checked under
        it (`footprints`), so both overlap with another transaction's decisions."""
        if self._locked:
            return
        self._locked = True
        await self._conn.execute(select(func.pg_advisory_xact_lock(MATCHER_LOCK)))

    async def changed_since(self, mark: int) -> bool:
        return await changed_since(self._conn, mark, self._read)

    async def depends_on_feed_life(self) -> None:
        self._read.feed_life = True

    async def record_epoch(self) -> None:
        await record(self._conn, self._wrote)


async def read_watermark(conn: AsyncConnection) -> datetime | None:
    """The pre-notification feed's watermark: the lowest of its partitions' (see
    `domain.watermark`)."""
    rows = await conn.execute(
        select(
            prenotification_watermark.c.partition,
            prenotification_watermark.c.partitions,
            prenotification_watermark.c.watermark,
        )
    )
    return feed_watermark(PartitionMark(*r) for r in rows)
