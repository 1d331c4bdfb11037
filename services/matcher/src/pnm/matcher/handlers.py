"""Service layer of the matcher: keep the read models current and re-decide affected lines.

Handlers only mark lines dirty; the decisions are recomputed once per transaction, with
set-based queries, just before it commits (level-triggered: from current state, and a
decision is published only when it changed)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, or_, select, tuple_

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.adapters.tables import arrival, decision, line, prenotification
from pnm.matcher.domain.decision import decide
from pnm.matcher.domain.matching import (
    ArrivalFacts,
    NotificationKeys,
    candidates_for,
    decision_record,
    has_arrived,
    same_substance,
)
from pnm.shared.contracts.envelope import CloudEvent, new_event
from pnm.shared.contracts.records import (
    Arrival,
    ChedType,
    Decision,
    ManifestLine,
    PreNotification,
    PreNotificationStatus,
    line_key,
)
from pnm.shared.contracts.topics import DECISIONS, EventType
from pnm.shared.db import UnitOfWork, upsert, upsert_newer
from pnm.shared.identifiers import container_number, transport_document_number
from pnm.shared.observability import correlation_id
from pnm.shared.service import Clock

SOURCE = "/pnm/matcher"
LineKey = tuple[str, str]


def _containers(raw: Iterable[str]) -> list[str]:
    return sorted({container_number(c).value for c in raw})


def _mark_dirty(
    uow: UnitOfWork, keys: Iterable[LineKey], clock: Clock, cid: str | None = None
) -> None:
    # Each line remembers the correlation id of the input that touched it last, so the
    # decision it causes carries it even though it is computed at commit, after the handler.
    dirty: dict[LineKey, str | None] = uow.state.setdefault("matcher.dirty", {})
    cid = cid or correlation_id.get()
    dirty.update((key, cid) for key in keys)

    async def flush(uow: UnitOfWork) -> None:
        await redecide(uow, uow.state.pop("matcher.dirty", {}), clock)

    uow.before_commit("matcher.redecide", flush)


async def on_manifest_line(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    """Stage the line; all lines of the transaction are stored in one statement at commit
    (a large manifest arrives as thousands of line events)."""
    record = ManifestLine.model_validate(event.data)
    staged: list[tuple[dict[str, Any], str | None]] = uow.state.setdefault("matcher.lines", [])
    staged.append(
        (
            {
                "manifest_id": record.manifest_id,
                "line_id": record.line_id,
                "version": record.version,
                "withdrawn": record.withdrawn,
                "containers": _containers(record.containers),
                "transport_document": transport_document_number(record.transport_document.number),
                "record": event.data,
            },
            correlation_id.get(),
        )
    )

    async def store(uow: UnitOfWork) -> None:
        rows = uow.state.pop("matcher.lines", [])
        cids = {(r["manifest_id"], r["line_id"]): cid for r, cid in rows}
        written = await upsert_newer(
            uow.conn, line, [r for r, _ in rows], key=["manifest_id", "line_id"]
        )
        for w in written:
            _mark_dirty(uow, [(w.manifest_id, w.line_id)], clock, cids[(w.manifest_id, w.line_id)])

    uow.before_commit("matcher.lines", store)


async def on_prenotification(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = PreNotification.model_validate(event.data)
    containers = _containers(record.containers)
    document = (
        transport_document_number(record.transport_document) if record.transport_document else None
    )
    written = await upsert_newer(
        uow.conn,
        prenotification,
        [
            {
                "reference": record.reference,
                "version": record.version,
                "status": record.status.value,
                "ched_type": record.ched_type.value,
                "containers": containers,
                "transport_document": document,
                "record": event.data,
            }
        ],
        key=["reference"],
    )
    if not written:
        return
    # Lines it covers now, and lines it covered before this version (a moved container).
    conditions = [line.c.containers.overlap(containers)]
    if document:
        conditions.append(line.c.transport_document == document)
    affected = await uow.conn.execute(
        select(line.c.manifest_id, line.c.line_id).where(or_(*conditions))
    )
    previously = await uow.conn.execute(
        select(decision.c.manifest_id, decision.c.line_id).where(
            decision.c.references.contains([record.reference])
        )
    )
    _mark_dirty(uow, [(r.manifest_id, r.line_id) for r in [*affected, *previously]], clock)


async def on_arrival(uow: UnitOfWork, event: CloudEvent, clock: Clock) -> None:
    record = Arrival.model_validate(event.data)
    containers = _containers(record.containers) if record.containers is not None else None
    await uow.conn.execute(
        insert(arrival).values(
            manifest_id=record.manifest_id, arrived_at=record.arrived_at, containers=containers
        )
    )
    query = select(line.c.manifest_id, line.c.line_id).where(
        line.c.manifest_id == record.manifest_id
    )
    if containers is not None:
        query = query.where(line.c.containers.overlap(containers))
    _mark_dirty(uow, [(r.manifest_id, r.line_id) for r in await uow.conn.execute(query)], clock)


async def redecide(uow: UnitOfWork, dirty: dict[LineKey, str | None], clock: Clock) -> int:
    """Recompute the decisions of the dirty lines; stage an event for each one that changed."""
    keys = sorted(dirty)
    if not keys:
        return 0
    conn = uow.conn
    indicators = shipped_indicator_set()
    lines = (
        await conn.execute(select(line).where(tuple_(line.c.manifest_id, line.c.line_id).in_(keys)))
    ).all()
    if not lines:
        return 0
    notifications = [
        NotificationKeys(
            r.reference,
            ChedType(r.ched_type),
            PreNotificationStatus(r.status),
            frozenset(r.containers),
            r.transport_document,
        )
        for r in await conn.execute(
            select(
                prenotification.c.reference,
                prenotification.c.status,
                prenotification.c.ched_type,
                prenotification.c.containers,
                prenotification.c.transport_document,
            ).where(
                or_(
                    prenotification.c.containers.overlap(
                        sorted({c for r in lines for c in r.containers})
                    ),
                    prenotification.c.transport_document.in_({r.transport_document for r in lines}),
                )
            )
        )
    ]
    arrivals = [
        ArrivalFacts(r.manifest_id, frozenset(r.containers) if r.containers is not None else None)
        for r in await conn.execute(
            select(arrival.c.manifest_id, arrival.c.containers).where(
                arrival.c.manifest_id.in_({r.manifest_id for r in lines})
            )
        )
    ]
    stored = {
        (r.manifest_id, r.line_id): Decision.model_validate(r.payload)
        for r in await conn.execute(
            select(decision.c.manifest_id, decision.c.line_id, decision.c.payload).where(
                tuple_(decision.c.manifest_id, decision.c.line_id).in_(keys)
            )
        )
    }
    now = clock()
    changed: list[dict[str, Any]] = []
    for row in lines:
        record = ManifestLine.model_validate(row.record)
        containers = frozenset(row.containers)
        outcome = decide(
            record,
            indicators,
            candidates_for(containers, row.transport_document, notifications),
            has_arrived(row.manifest_id, containers, arrivals),
        )
        previous = stored.get((row.manifest_id, row.line_id))
        result = decision_record(
            record,
            containers,
            row.transport_document,
            outcome,
            previous.decision_number + 1 if previous else 1,
            indicators.version,
            now,
        )
        if previous is not None and same_substance(previous, result):
            continue
        changed.append(
            {
                "manifest_id": row.manifest_id,
                "line_id": row.line_id,
                "decision_number": result.decision_number,
                "status": result.status.value,
                "references": list(result.references),
                "payload": result.model_dump(mode="json"),
                "decided_at": now,
            }
        )
        key = line_key(row.manifest_id, row.line_id)
        uow.publish(
            DECISIONS,
            key,
            new_event(
                type=EventType.DECISION_CHANGED,
                source=SOURCE,
                subject=key,
                record=result,
                correlation_id=dirty[(row.manifest_id, row.line_id)],
            ),
        )
    await upsert(conn, decision, changed, ["manifest_id", "line_id"])
    return len(changed)
