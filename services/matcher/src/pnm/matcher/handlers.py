"""Service layer of the matcher: keep the read models current and re-decide affected lines.

Handlers only mark lines dirty; the decisions are recomputed once per transaction, with
set-based queries, just before it commits (level-triggered: from current state, and a
decision is published only when it changed)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from prometheus_client import Counter, Gauge
from sqlalchemy import DateTime, bindparam, cast, exists, func, insert, select, true
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.matcher.adapters.block_index import (
    lines_with_keys,
    of_lines,
    replace_line_keys,
    replace_notification_keys,
)
from pnm.matcher.adapters.footprints import Footprint, changed_since, last_epoch, record
from pnm.matcher.adapters.indicator_sets import active_indicator_set
from pnm.matcher.adapters.linked_references import requote, store_links
from pnm.matcher.adapters.state import (
    MatcherState,
    StoredLine,
    evaluate_lines,
    load_state,
    remember,
)
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
from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.matching import Evaluation
from pnm.matcher.settings import MatcherSettings
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import (
    Arrival,
    CaseChanged,
    EtaUpdate,
    FeedStatus,
    ManifestLine,
    PreNotification,
    Watermark,
    line_key,
)
from pnm.shared.contracts.topics import DECISIONS, EventType
from pnm.shared.db import UnitOfWork, upsert, upsert_newer
from pnm.shared.identifiers import container_number
from pnm.shared.observability import correlation_id
from pnm.shared.service import Clock

SOURCE = "/pnm/matcher"
MATCHER_LOCK = 0x706E6D_6D61  # "pnm" "ma": the advisory lock that serialises decisions
LineKey = tuple[str, str]
HISTORY_COLUMNS = ("manifest_id", "line_id", "decision_number", "status", "payload")
DECISION_STEPS = Counter(
    "pnm_matcher_decision_steps_total",
    "Decision steps by how they ran: locked (under the lock throughout), checked (decided "
    "before the lock, nothing read had changed) or redone (decided again under the lock)",
    ["mode"],
)
WATERMARK_AGE = Gauge(
    "pnm_matcher_prenotification_watermark_age_seconds",
    "Per partition of the pre-notification topic: how old the latest watermark this process "
    "consumed is (blocks wait until the lowest has passed their moment)",
    ["partition"],
)


def _containers(raw: Iterable[str]) -> list[str]:
    return sorted({container_number(c).value for c in raw})


async def serialised(uow: UnitOfWork) -> None:
    """One matcher decision step at a time, taken once per transaction after its inputs are
    written; released at commit. A line and the notification that covers it may come in
    concurrent transactions (two topics, two partitions, two processes); under READ COMMITTED
    each would look for the other before it committed and neither would see it. With the lock,
    whichever decides second sees the other committed. Storing inputs needs no lock, and a
    batch of lines reads and decides before taking it, checked under it (`footprints`), so
    both overlap with another transaction's decisions."""
    if serialised_already(uow):
        return
    uow.state["matcher.serialised"] = True
    await uow.conn.execute(select(func.pg_advisory_xact_lock(MATCHER_LOCK)))


def serialised_already(uow: UnitOfWork) -> bool:
    return bool(uow.state.get("matcher.serialised"))


def wrote(uow: UnitOfWork) -> Footprint:
    """What this transaction wrote, recorded as its epoch in the decision step (see
    `footprints`): every input handler adds what it stored."""
    footprint: Footprint = uow.state.setdefault("matcher.wrote", Footprint())
    return footprint


Discovery = Callable[[UnitOfWork], Awaitable[Iterable[LineKey]]]


def mark_dirty(
    uow: UnitOfWork, keys: Iterable[LineKey], clock: Clock, cid: str | None = None
) -> None:
    # Each line remembers the correlation id of the input that touched it last, so the
    # decision it causes carries it even though it is computed at commit, after the handler.
    dirty: dict[LineKey, str | None] = uow.state.setdefault("matcher.dirty", {})
    cid = cid or correlation_id.get()
    dirty.update((key, cid) for key in keys)

    async def flush(uow: UnitOfWork) -> None:
        discovering = uow.state.pop("matcher.discover", [])
        # Lines alone are decided before the lock and checked under it; an input that looks
        # up the lines it affects does so under the lock (see `discover`).
        optimistic = not discovering and not serialised_already(uow)
        if not optimistic:
            await serialised(uow)
        for find, cause in discovering:
            found = uow.state.setdefault("matcher.dirty", {})
            found.update((key, cause) for key in await find(uow))
        await redecide(uow, uow.state.pop("matcher.dirty", {}), clock, optimistic=optimistic)
        await serialised(uow)
        await record(uow.conn, wrote(uow))

    uow.before_commit("matcher.redecide", flush)


def discover(uow: UnitOfWork, find: Discovery, clock: Clock) -> None:
    """Lines an input affects, looked up in the decision step, under the lock (see
    `serialised`): looked up earlier, a line stored by a concurrent transaction is missed."""
    uow.state.setdefault("matcher.discover", []).append((find, correlation_id.get()))
    mark_dirty(uow, (), clock)


async def on_manifest_line(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """Stage the line; all lines of the transaction are stored in one statement at commit
    (a large manifest arrives as thousands of line events)."""
    record = ManifestLine.model_validate(event.data)
    facts = LineFacts.of(record)
    staged: list[tuple[dict[str, Any], StoredLine, str | None]] = uow.state.setdefault(
        "matcher.lines", []
    )
    staged.append(
        (
            {
                "manifest_id": record.manifest_id,
                "line_id": record.line_id,
                "version": record.version,
                "withdrawn": record.withdrawn,
                "containers": sorted(facts.containers),
                "transport_document": facts.transport_document,
                "record": event.data,
                "block_keys": sorted(facts.block_keys),
                "gross_mass_kg": facts.gross_mass_kg,
            },
            StoredLine(record, facts),
            correlation_id.get(),
        )
    )

    async def store(uow: UnitOfWork) -> None:
        rows = uow.state.pop("matcher.lines", [])
        # By version: one batch may carry several versions of a line, in any order.
        staged = {(r["manifest_id"], r["line_id"], r["version"]): (r, s, c) for r, s, c in rows}
        written = {
            (w.manifest_id, w.line_id): staged[(w.manifest_id, w.line_id, w.version)]
            for w in await upsert_newer(
                uow.conn, line, [r for r, _, _ in rows], key=["manifest_id", "line_id"]
            )
        }
        # A new version keeps the references linked to the line's case (docs/cases.md).
        records = {key: stored.record for key, (_, stored, _) in written.items()}
        for key, facts in (await requote(uow.conn, records)).items():
            row, stored, cid = written[key]
            written[key] = (row, StoredLine(stored.record, facts), cid)
        await replace_line_keys(
            uow.conn, {key: stored.facts.block_keys for key, (_, stored, _) in written.items()}
        )
        known: dict[LineKey, StoredLine] = uow.state.setdefault("matcher.known", {})
        footprint = wrote(uow)
        for key, (_, stored, cid) in written.items():
            known[key] = stored
            footprint.add_coverage(stored.facts)
            mark_dirty(uow, [key], clock, cid)
        footprint.add_lines(known)
        # Lines that share a pre-notification with a new line: their covered mass changed.
        uow.state["matcher.expand"] = True

    uow.before_commit("matcher.lines", store)


async def on_prenotification(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = PreNotification.model_validate(event.data)
    facts = NotificationFacts.of(record)
    await _seen_record_of(uow, record.system, clock())
    previous = (
        await uow.conn.execute(
            select(prenotification.c.block_keys).where(
                prenotification.c.reference == record.reference
            )
        )
    ).first()
    written = await upsert_newer(
        uow.conn,
        prenotification,
        [
            {
                "reference": record.reference,
                "version": record.version,
                "status": record.status.value,
                "ched_type": record.ched_type.value,
                "containers": sorted(facts.containers),
                "transport_document": facts.transport_document,
                "record": event.data,
                "block_keys": sorted(facts.block_keys),
                "facts": facts.to_json(),
            }
        ],
        key=["reference"],
    )
    if not written:
        return
    remember(record.version, facts)
    wrote(uow).notifications.add(record.reference)
    wrote(uow).notification_keys.update(facts.block_keys)
    await replace_notification_keys(uow.conn, record.reference, record.version, facts.block_keys)
    # Lines it may decide now, and lines it decided before this version (a moved container).
    keys = set(facts.block_keys) | set(previous.block_keys if previous else ())

    async def affected(uow: UnitOfWork) -> list[LineKey]:
        by_key = await uow.conn.execute(lines_with_keys(keys))
        before = await uow.conn.execute(
            select(decision.c.manifest_id, decision.c.line_id).where(
                decision.c.references.contains([record.reference])
            )
        )
        return [(r.manifest_id, r.line_id) for r in [*by_key, *before]]

    discover(uow, affected, clock)


async def on_notification_linked(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """Customs linked a written pre-notification to the line's case: the line quotes the
    case's references from now on (docs/cases.md), so its keys are refreshed and it is decided
    again at once."""
    case = CaseChanged.model_validate(event.data)
    key = (case.manifest_id, case.line_id)
    await store_links(uow.conn, case)
    # Locked: a new version of the line stored concurrently reads the links after it.
    stored = (
        await uow.conn.execute(
            select(line.c.record)
            .where(line.c.manifest_id == case.manifest_id, line.c.line_id == case.line_id)
            .with_for_update()
        )
    ).first()
    if stored is None:
        return  # not declared yet: its facts get the references when it is
    facts = await requote(uow.conn, {key: ManifestLine.model_validate(stored.record)})
    await replace_line_keys(uow.conn, {key: facts[key].block_keys})
    footprint = wrote(uow)
    footprint.add_coverage(facts[key])
    footprint.add_lines([key])
    uow.state["matcher.expand"] = True  # what the linked notification covers changed too
    mark_dirty(uow, [key], clock)


async def ignored(uow: UnitOfWork, event: CloudEvent) -> None:
    """An event type of a topic the matcher reads that does not concern it."""


async def on_arrival(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = Arrival.model_validate(event.data)
    containers = _containers(record.containers) if record.containers is not None else None
    await uow.conn.execute(
        insert(arrival).values(
            manifest_id=record.manifest_id, arrived_at=record.arrived_at, containers=containers
        )
    )
    wrote(uow).manifests.add(record.manifest_id)
    _mark_manifest(uow, record.manifest_id, containers, clock)


async def on_eta_update(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = EtaUpdate.model_validate(event.data)
    containers = _containers(record.containers) if record.containers is not None else None
    await uow.conn.execute(
        insert(eta_update).values(
            manifest_id=record.manifest_id,
            eta=record.eta,
            containers=containers,
            received_at=clock(),
        )
    )
    wrote(uow).manifests.add(record.manifest_id)
    _mark_manifest(uow, record.manifest_id, containers, clock)


async def on_feed_status(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """A feed's health changed or it showed life: lines held back for an outage are looked
    at again (those still degraded stay held; the rest get their real status)."""
    status = FeedStatus.model_validate(event.data)
    await uow.conn.execute(
        pg_insert(feed)
        .values(system=status.system, status=status.model_dump(mode="json"))
        .on_conflict_do_update(
            index_elements=[feed.c.system],
            set_={"status": status.model_dump(mode="json")},
            # Only a newer status replaces the one kept (compared as times, not as text).
            where=cast(feed.c.status["at"].astext, DateTime(timezone=True)) <= status.at,
        )
    )
    wrote(uow).feeds = True
    _mark_feed_held(uow, clock)


async def on_watermark(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """The pre-notification service has published every pre-notification committed before
    the watermark on this partition: kept (only a later one replaces it), and lines whose block
    waits for it are looked at again."""
    stamp = Watermark.model_validate(event.data)
    await uow.conn.execute(
        pg_insert(prenotification_watermark)
        .values(
            partition=stamp.partition,
            partitions=stamp.partitions,
            watermark=stamp.watermark,
            received_at=clock(),
        )
        .on_conflict_do_update(
            index_elements=[prenotification_watermark.c.partition],
            set_={"partitions": stamp.partitions, "watermark": stamp.watermark},
            where=prenotification_watermark.c.watermark < stamp.watermark,
        )
    )
    at = stamp.watermark.timestamp()
    WATERMARK_AGE.labels(str(stamp.partition)).set_function(lambda: time.time() - at)
    # Stamps come every half second: the lock of a decision step is taken only when a line
    # waits. One held by a transaction not committed yet is found at the next stamp.
    if uow.state.get("matcher.watermark_seen"):
        return
    uow.state["matcher.watermark_seen"] = True
    if await uow.conn.scalar(select(exists().where(decision.c.feed_held == true()))):
        _mark_feed_held(uow, clock)


async def _seen_record_of(uow: UnitOfWork, system: str, now: datetime) -> None:
    """A pre-notification is a sign of life of its feed (once per transaction and system)."""
    seen: set[str] = uow.state.setdefault("matcher.feeds_seen", set())
    if system in seen:
        return
    seen.add(system)
    await uow.conn.execute(
        feed.update()
        .where(feed.c.system == system)
        .values(status=feed.c.status.op("||")({"last_record_at": now.isoformat()}))
    )
    wrote(uow).feed_life = True
    _mark_feed_held(uow, lambda: now)


def _mark_feed_held(uow: UnitOfWork, clock: Clock) -> None:
    async def held(uow: UnitOfWork) -> list[LineKey]:
        rows = await uow.conn.execute(
            select(decision.c.manifest_id, decision.c.line_id).where(decision.c.feed_held == true())
        )
        return [(r.manifest_id, r.line_id) for r in rows]

    discover(uow, held, clock)


def _mark_manifest(
    uow: UnitOfWork, manifest_id: str, containers: list[str] | None, clock: Clock
) -> None:
    query = select(line.c.manifest_id, line.c.line_id).where(line.c.manifest_id == manifest_id)
    if containers is not None:
        query = query.where(line.c.containers.overlap(containers))

    async def of_manifest(uow: UnitOfWork) -> list[LineKey]:
        return [(r.manifest_id, r.line_id) for r in await uow.conn.execute(query)]

    discover(uow, of_manifest, clock)


async def redecide(
    uow: UnitOfWork, dirty: dict[LineKey, str | None], clock: Clock, *, optimistic: bool
) -> int:
    """Recompute the decisions of the dirty lines; stage an event for each one that changed.
    Returns how many changed. `optimistic`: read and decide before taking the lock, and again
    under it only when a transaction committed meanwhile wrote something this step read."""
    if not dirty:
        return 0
    expand = uow.state.pop("matcher.expand", False)
    known = uow.state.pop("matcher.known", {})

    awaits_watermark = MatcherSettings().await_prenotification_watermark

    async def decide(now: datetime) -> tuple[MatcherState, list[tuple[LineKey, Evaluation]]]:
        indicators = await active_indicator_set(uow.conn)
        state = await load_state(
            uow.conn,
            set(dirty),
            indicators,
            expand=expand,
            known=known,
            awaits_watermark=awaits_watermark,
        )
        return state, await evaluate_lines(uow.conn, state, now)

    seen = await last_epoch(uow.conn) if optimistic else None
    now = clock()
    state, evaluations = await decide(now)
    mode = "locked"
    if seen is not None:
        await serialised(uow)
        mode = "checked"
        if await changed_since(uow.conn, seen, state.read):
            mode = "redone"
            now = clock()
            state, evaluations = await decide(now)
    DECISION_STEPS.labels(mode).inc()
    wrote(uow).add_lines(state.keys)
    changed = [(key, e) for key, e in evaluations if e.changed]
    rescheduled = [
        {
            "m": key[0],
            "l": key[1],
            "next_deadline": e.next_deadline,
            "feed_held": e.feed_held,
            "held_since": e.held_since,
        }
        for key, e in evaluations
        if not e.changed and state.schedule.get(key) != (e.next_deadline, e.feed_held, e.held_since)
    ]
    if rescheduled:
        await uow.conn.execute(
            decision.update()
            .where(decision.c.manifest_id == bindparam("m"), decision.c.line_id == bindparam("l"))
            .values(
                next_deadline=bindparam("next_deadline"),
                feed_held=bindparam("feed_held"),
                held_since=bindparam("held_since"),
            ),
            rescheduled,
        )
    rows = []
    for key, e in changed:
        result = e.decision
        payload = result.model_dump(mode="json")
        rows.append(
            {
                "manifest_id": result.manifest_id,
                "line_id": result.line_id,
                "decision_number": result.decision_number,
                "status": result.status.value,
                "references": list(result.references),
                "payload": payload,
                "decided_at": now,
                "port": state.lines[key].record.port_of_discharge,
                "eta": state.eta_of(key),
                "next_deadline": e.next_deadline,
                "feed_held": e.feed_held,
                "held_since": e.held_since,
            }
        )
        subject = line_key(*key)
        uow.publish(
            DECISIONS,
            subject,
            new_event(
                type=EventType.DECISION_CHANGED,
                source=SOURCE,
                subject=subject,
                record=result,
                data=payload,
                correlation_id=dirty.get(key),
            ),
        )
    if rows:
        await upsert(uow.conn, decision, rows, ["manifest_id", "line_id"])
        # The history copies the rows just written inside the database: the payloads are not
        # serialised and sent a second time.
        columns = [decision.c[c] for c in HISTORY_COLUMNS]
        await uow.conn.execute(
            pg_insert(decision_history)
            .from_select(
                HISTORY_COLUMNS,
                select(*columns).where(of_lines(decision, [key for key, _ in changed])),
            )
            .on_conflict_do_nothing()
        )
    return len(rows)
