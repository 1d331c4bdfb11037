"""Service layer of manifest ingest: normalise, version and store DMF manifest lines and
arrivals, keep every refused line with its reasons, stage the events; the caller commits.

A manifest is taken as one batch: a handful of statements whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from pnm.manifest_ingest.adapters.tables import (
    arrival,
    feed,
    line_version,
    manifest_line,
    rejections,
)
from pnm.manifest_ingest.domain.amendments import line_event_type
from pnm.manifest_ingest.domain.diff import diff
from pnm.manifest_ingest.domain.normalise import NormalisedLine, normalise_line
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import Arrival, EtaUpdate, FeedStatus, ManifestLine, line_key
from pnm.shared.contracts.topics import (
    MANIFEST_ARRIVALS,
    MANIFEST_ETA,
    MANIFEST_FEEDS,
    MANIFEST_LINES,
    EventType,
)
from pnm.shared.db import UnitOfWork, upsert
from pnm.shared.http import invalid_field
from pnm.shared.identifiers import container_number
from pnm.shared.isolation import refusal_reason, store_isolated
from pnm.shared.rejections import Refused, schema_reasons
from pnm.shared.settings import intake_window
from pnm.shared.text import shown

SOURCE = "/pnm/manifest-ingest"
FEED_SOURCE = "dmf"
Outcome = Literal["declared", "amended", "withdrawn", "ignored", "rejected"]
KEY_CHUNK = 5000  # keys per lookup: two bind parameters each, PostgreSQL allows 32767


@dataclass(frozen=True)
class Submission:
    payload: Any
    channel: str  # rest | file | resubmit
    source: str | None = None
    row_number: int | None = None
    problem: dict[str, Any] | None = None  # a file row that is no record (pnm.shared.files)


@dataclass
class LineResult:
    outcome: Outcome
    manifest_id: str | None = None
    line_id: str | None = None
    version: int | None = None
    issues: list[dict[str, Any]] = field(default_factory=list)  # reasons, or flags if accepted
    rejection_id: int | None = None
    row_number: int | None = None


@dataclass
class _Accepted:
    index: int
    normalised: NormalisedLine


def _field(payload: Any, name: str) -> str | None:
    """The field as quoted in a refusal, before the line is known to be valid."""
    return shown(payload.get(name)) if isinstance(payload, dict) else None


async def declare(
    uow: UnitOfWork, submissions: Sequence[Submission], now: datetime
) -> list[LineResult]:
    results = [
        LineResult(
            "rejected",
            manifest_id=_field(s.payload, "manifest_id"),
            line_id=_field(s.payload, "line_id"),
            row_number=s.row_number,
        )
        for s in submissions
    ]
    accepted: list[_Accepted] = []
    for index, submission in enumerate(submissions):
        if submission.problem is not None:
            results[index].issues = [submission.problem]
            continue
        try:
            line = ManifestLine.model_validate(submission.payload)
        except ValidationError as err:
            results[index].issues = schema_reasons(err)
            continue
        outside = intake_window().reason("eta", line.eta, now)
        if outside is not None:
            results[index].issues = [outside]
            continue
        accepted.append(_Accepted(index, normalise_line(line)))
    await store_isolated(
        uow,
        accepted,
        lambda items: _store(uow, items, results, submissions, now),
        lambda item, err: _refused_by_store(results[item.index], err),
    )
    await _keep_refused(uow, submissions, results)
    return results


def _refused_by_store(result: LineResult, err: DBAPIError) -> None:
    result.outcome, result.issues = "rejected", [refusal_reason(err)]


async def _store(
    uow: UnitOfWork,
    accepted: Sequence[_Accepted],
    results: list[LineResult],
    submissions: Sequence[Submission],
    now: datetime,
) -> None:
    keys = sorted({(a.normalised.line.manifest_id, a.normalised.line.line_id) for a in accepted})
    current: dict[tuple[str, str], tuple[int, ManifestLine]] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        rows = await uow.conn.execute(
            select(
                manifest_line.c.manifest_id,
                manifest_line.c.line_id,
                manifest_line.c.version,
                manifest_line.c.record,
            )
            .where(
                tuple_(manifest_line.c.manifest_id, manifest_line.c.line_id).in_(
                    keys[start : start + KEY_CHUNK]
                )
            )
            .with_for_update()
        )
        for r in rows:
            current[(r.manifest_id, r.line_id)] = (r.version, ManifestLine.model_validate(r.record))
    final: dict[tuple[str, str], _Accepted] = {}
    versions: list[dict[str, Any]] = []
    # Only the newest version of a line in the batch counts, whatever order they came in:
    # the others were superseded before they were ever current.
    newest: dict[tuple[str, str], int] = {}
    for a in accepted:
        key = (a.normalised.line.manifest_id, a.normalised.line.line_id)
        newest[key] = max(newest.get(key, 0), a.normalised.line.version)
    for item in accepted:
        line = item.normalised.line
        key = (line.manifest_id, line.line_id)
        result = results[item.index]
        result.version = line.version
        result.issues = [_flag_json(f) for f in item.normalised.flags]
        known = current.get(key)
        if line.version < newest[key] or key in final or (known and known[0] >= line.version):
            result.outcome = "ignored"
            continue
        changes = diff(known[1] if known else None, line)
        result.outcome = "withdrawn" if line.withdrawn else "amended" if known else "declared"
        subject = line_key(*key)
        uow.publish(
            MANIFEST_LINES,
            subject,
            new_event(
                type=line_event_type(line, inserted=known is None),
                source=SOURCE,
                subject=subject,
                record=line,
            ),
        )
        current[key] = (line.version, line)
        final[key] = item
        versions.append(
            {
                "manifest_id": line.manifest_id,
                "line_id": line.line_id,
                "version": line.version,
                "withdrawn": line.withdrawn,
                "record": line.model_dump(mode="json"),
                "changes": [
                    {"field": c.field, "before": c.before, "after": c.after} for c in changes
                ],
                "message": submissions[item.index].source,
            }
        )
    if not final:
        return
    await upsert(
        uow.conn,
        manifest_line,
        [_row(item, submissions[item.index], now) for item in final.values()],
        ["manifest_id", "line_id"],
    )
    await uow.conn.execute(pg_insert(line_version).on_conflict_do_nothing(), versions)
    await record_feed_activity(uow, now)


def _row(item: _Accepted, submission: Submission, now: datetime) -> dict[str, Any]:
    n = item.normalised
    line = n.line
    return {
        "manifest_id": line.manifest_id,
        "line_id": line.line_id,
        "version": line.version,
        "withdrawn": line.withdrawn,
        "record": line.model_dump(mode="json"),
        "received_at": now,
        "raw": n.raw,
        "flags": [_flag_json(f) for f in n.flags],
        "containers": list(n.keys.containers),
        "transport_document": n.keys.transport_document,
        "consignee": n.keys.consignee,
        "vessel_imo": line.vessel_imo,
        "flight_number": line.flight_number,
        "eta": line.eta,
        "message": submission.source,
    }


def _flag_json(flag: Any) -> dict[str, Any]:
    return {
        "field": flag.field,
        "value": flag.value,
        "rule": flag.rule,
        "message": flag.message,
        "severity": "flag",
    }


async def _keep_refused(
    uow: UnitOfWork, submissions: Sequence[Submission], results: list[LineResult]
) -> None:
    await rejections.keep_refused(
        uow.conn,
        [
            (
                Refused(
                    s.channel,
                    s.source,
                    s.row_number,
                    line_key(r.manifest_id, r.line_id) if r.manifest_id and r.line_id else None,
                    s.payload,
                    r.issues,
                ),
                r,
            )
            for s, r in zip(submissions, results, strict=True)
            if r.outcome == "rejected"
        ],
    )


FEED_EVENT_EVERY = timedelta(minutes=1)


async def record_feed_activity(uow: UnitOfWork, now: datetime) -> None:
    """Remember when DMF last sent something; say so on Kafka at most once a minute."""
    previous = await uow.conn.scalar(
        select(feed.c.last_message_at).where(feed.c.source == FEED_SOURCE).with_for_update()
    )
    stmt = pg_insert(feed).values(source=FEED_SOURCE, last_message_at=now)
    await uow.conn.execute(
        stmt.on_conflict_do_update(index_elements=["source"], set_={"last_message_at": now})
    )
    if previous is None or now - previous >= FEED_EVENT_EVERY:
        status = FeedStatus(
            system=FEED_SOURCE, last_record_at=now, last_heartbeat_at=None, emergency=False, at=now
        )
        uow.publish(
            MANIFEST_FEEDS,
            FEED_SOURCE,
            new_event(
                type=EventType.DMF_FEED_ACTIVE, source=SOURCE, subject=FEED_SOURCE, record=status
            ),
        )


async def update_eta(uow: UnitOfWork, record: EtaUpdate, now: datetime) -> int:
    """A new ETA for a manifest (or some of its containers): stored on the current lines and
    published; returns how many lines it applies to."""
    _within_window("eta", record.eta, now)
    containers = (
        [container_number(c).value for c in record.containers] if record.containers else None
    )
    query = (
        update(manifest_line)
        .where(
            manifest_line.c.manifest_id == record.manifest_id, manifest_line.c.withdrawn.is_(False)
        )
        .values(eta=record.eta)
    )
    if containers is not None:
        query = query.where(manifest_line.c.containers.overlap(containers))
    updated = await uow.conn.execute(query)
    uow.publish(
        MANIFEST_ETA,
        record.manifest_id,
        new_event(
            type=EventType.ETA_UPDATED, source=SOURCE, subject=record.manifest_id, record=record
        ),
    )
    await record_feed_activity(uow, now)
    return int(updated.rowcount)


async def record_arrival(uow: UnitOfWork, record: Arrival, now: datetime) -> None:
    _within_window("arrived_at", record.arrived_at, now)
    await uow.conn.execute(
        insert(arrival).values(
            manifest_id=record.manifest_id,
            arrived_at=record.arrived_at,
            containers=[container_number(c).value for c in record.containers]
            if record.containers is not None
            else None,
        )
    )
    uow.publish(
        MANIFEST_ARRIVALS,
        record.manifest_id,
        new_event(type=EventType.ARRIVAL, source=SOURCE, subject=record.manifest_id, record=record),
    )
    await record_feed_activity(uow, now)


def _within_window(field: str, value: datetime, now: datetime) -> None:
    outside = intake_window().reason(field, value, now)
    if outside is not None:
        raise invalid_field(field, value.isoformat(), outside["rule"], outside["message"])


def counts(results: Sequence[LineResult]) -> dict[str, int]:
    summary = {"declared": 0, "amended": 0, "withdrawn": 0, "ignored": 0, "rejected": 0}
    for r in results:
        summary[r.outcome] += 1
    return summary


async def resubmit(uow: UnitOfWork, rejection_id: int, line: Any, now: datetime) -> LineResult:
    """The corrected line for a refused one (404 for an unknown rejection, 409 for one already
    re-submitted); on acceptance the rejection is closed. The caller commits."""
    await rejections.open(uow.conn, rejection_id)
    [result] = await declare(uow, [Submission(line, "resubmit", f"rejection {rejection_id}")], now)
    if result.outcome != "rejected" and result.manifest_id and result.line_id:
        accepted_as = f"{result.manifest_id}/{result.line_id}"
        await rejections.mark_resubmitted(uow.conn, rejection_id, accepted_as, now)
    return result
