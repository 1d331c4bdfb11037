"""Service layer of manifest ingest: normalise, version and store DMF manifest lines and
arrivals, keep every refused line with its reasons, stage the events; the caller commits. What is
the same for every intake (each input checked alone, refusals kept, feed activity) is
pnm.shared.intake; this module holds the manifest line's checks and store.

A manifest is taken as one batch: a handful of statements whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.manifest_ingest.adapters.tables import (
    arrival,
    feed,
    line_version,
    manifest_line,
    rejections,
)
from pnm.manifest_ingest.domain.amendments import line_event_type
from pnm.manifest_ingest.domain.diff import diff
from pnm.manifest_ingest.domain.normalise import Flag, NormalisedLine, normalise_line
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import (
    Arrival,
    EtaUpdate,
    FeedStatus,
    LineKey,
    ManifestLine,
    line_key,
)
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
from pnm.shared.intake import model, pipeline
from pnm.shared.intake.model import Accepted, IntakeResult, Issue, Submission
from pnm.shared.settings import intake_window
from pnm.shared.text import shown
from pnm.shared.versions import newer_wins

SOURCE = "/pnm/manifest-ingest"
FEED_SOURCE = "dmf"
Outcome = Literal["declared", "amended", "withdrawn", "ignored", "rejected"]
OUTCOMES = get_args(Outcome)
KEY_CHUNK = 5000  # keys per lookup: two bind parameters each, PostgreSQL allows 32767
FEED_CLOCK = pipeline.FeedClock(feed, "source", "last_message_at")


@dataclass
class LineResult(IntakeResult):
    manifest_id: str | None = None
    line_id: str | None = None


def _field(payload: Any, name: str) -> str | None:
    """The field as quoted in a refusal, before the line is known to be valid."""
    return shown(payload.get(name)) if isinstance(payload, dict) else None


def _flag(flag: Flag) -> Issue:
    return Issue(flag.field, flag.value, flag.rule, flag.message, "flag")


class LineIntake(pipeline.IntakeRules[ManifestLine, NormalisedLine, LineResult]):
    """Manifest lines: checked against the intake window, normalised, versioned per line."""

    model = ManifestLine
    rejections = rejections

    def result(self, submission: Submission) -> LineResult:
        return LineResult(
            manifest_id=_field(submission.payload, "manifest_id"),
            line_id=_field(submission.payload, "line_id"),
            row_number=submission.row_number,
        )

    def accept(
        self, submission: Submission, record: ManifestLine, result: LineResult, now: datetime
    ) -> tuple[NormalisedLine, list[Issue]] | list[Issue]:
        outside = intake_window().reason("eta", record.eta, now)
        if outside is not None:
            return [Issue.of(outside)]
        normalised = normalise_line(record)
        return normalised, [_flag(f) for f in normalised.flags]

    async def store(
        self,
        uow: UnitOfWork,
        accepted: Sequence[Accepted[NormalisedLine]],
        results: list[LineResult],
        now: datetime,
    ) -> None:
        current = await _current(
            uow, sorted({(a.record.line.manifest_id, a.record.line.line_id) for a in accepted})
        )
        final: dict[LineKey, Accepted[NormalisedLine]] = {}
        versions: list[dict[str, Any]] = []
        # Only the newest version of a line in the batch counts, whatever order they came in:
        # the others were superseded before they were ever current.
        newest: dict[LineKey, int] = {}
        for a in accepted:
            key = (a.record.line.manifest_id, a.record.line.line_id)
            newest[key] = max(newest.get(key, 0), a.record.line.version)
        for item in accepted:
            line = item.record.line
            key = (line.manifest_id, line.line_id)
            result = results[item.index]
            result.version = line.version
            result.issues = item.flags
            known = current.get(key)
            if (
                line.version < newest[key]
                or key in final
                or not newer_wins(known[0] if known else None, line.version)
            ):
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
                    "message": item.submission.source,
                }
            )
        if not final:
            return
        await upsert(
            uow.conn,
            manifest_line,
            [_row(item, now) for item in final.values()],
            ["manifest_id", "line_id"],
        )
        await uow.conn.execute(pg_insert(line_version).on_conflict_do_nothing(), versions)
        await record_feed_activity(uow, now)

    def subject(self, result: LineResult) -> str | None:
        if result.manifest_id and result.line_id:
            return line_key(result.manifest_id, result.line_id)
        return None


LINES = LineIntake()


async def declare(
    uow: UnitOfWork, submissions: Sequence[Submission], now: datetime
) -> list[LineResult]:
    return await pipeline.take_in(uow, submissions, LINES, now)


async def _current(uow: UnitOfWork, keys: list[LineKey]) -> dict[LineKey, tuple[int, ManifestLine]]:
    """The stored version of each line, locked until the caller commits."""
    current: dict[LineKey, tuple[int, ManifestLine]] = {}
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
    return current


def _row(item: Accepted[NormalisedLine], now: datetime) -> dict[str, Any]:
    n = item.record
    line = n.line
    return {
        "manifest_id": line.manifest_id,
        "line_id": line.line_id,
        "version": line.version,
        "withdrawn": line.withdrawn,
        "record": line.model_dump(mode="json"),
        "received_at": now,
        "raw": n.raw,
        "flags": [f.as_json() for f in item.flags],
        "containers": list(n.keys.containers),
        "transport_document": n.keys.transport_document,
        "consignee": n.keys.consignee,
        "vessel_imo": line.vessel_imo,
        "flight_number": line.flight_number,
        "eta": line.eta,
        "message": item.submission.source,
    }


FEED_EVENT_EVERY = timedelta(minutes=1)


async def record_feed_activity(uow: UnitOfWork, now: datetime) -> None:
    """Remember when DMF last sent something; say so on Kafka at most once a minute."""
    [previous] = (await FEED_CLOCK.touch(uow.conn, [FEED_SOURCE], now)).values()
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
    return model.counts(results, OUTCOMES)


async def resubmit(uow: UnitOfWork, rejection_id: int, line: Any, now: datetime) -> LineResult:
    """The corrected line for a refused one (404 for an unknown rejection, 409 for one already
    re-submitted); on acceptance the rejection is closed. The caller commits."""
    await rejections.open(uow.conn, rejection_id)
    return await pipeline.resubmit(uow, LINES, rejection_id, line, now)
