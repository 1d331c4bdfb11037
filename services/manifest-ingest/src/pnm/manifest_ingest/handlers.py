"""Service layer of manifest ingest: normalise, version and store DMF manifest lines and
arrivals, keep every refused line with its reasons, stage the events; the caller commits. What is
the same for every intake (each input checked alone, refusals kept, feed activity) is
pnm.shared.intake; this module holds the manifest line's checks and what it stores, through its
store (`store.LineStore`), never SQL.

A manifest is taken as one batch: a handful of statements whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from pnm.manifest_ingest.domain.amendments import line_event_type
from pnm.manifest_ingest.domain.diff import diff
from pnm.manifest_ingest.domain.normalise import Flag, NormalisedLine, normalise_line
from pnm.manifest_ingest.store import LineStore, LineVersion
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
from pnm.shared.http import invalid_field
from pnm.shared.identifiers import container_number
from pnm.shared.intake import model, pipeline
from pnm.shared.intake.model import Accepted, IntakeResult, Issue, Submission
from pnm.shared.messaging.source import EventSource
from pnm.shared.settings import intake_window
from pnm.shared.text import shown
from pnm.shared.versions import newer_wins

SOURCE = EventSource("/pnm/manifest-ingest")
FEED_SOURCE = "dmf"
LineOutcome = Literal["declared", "amended", "withdrawn", "ignored", "rejected"]
LINE_OUTCOMES = get_args(LineOutcome)


@dataclass
class LineResult(IntakeResult):
    manifest_id: str | None = None
    line_id: str | None = None


def _field(payload: Any, name: str) -> str | None:
    """The field as quoted in a refusal, before the line is known to be valid."""
    return shown(payload.get(name)) if isinstance(payload, dict) else None


def _flag(flag: Flag) -> Issue:
    return Issue(flag.field, flag.value, flag.rule, flag.message, "flag")


class LineIntake(pipeline.IntakeRules[ManifestLine, NormalisedLine, LineResult, LineStore]):
    """Manifest lines: checked against the intake window, normalised, versioned per line."""

    model = ManifestLine

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
        store: LineStore,
        accepted: Sequence[Accepted[NormalisedLine]],
        results: list[LineResult],
        now: datetime,
    ) -> None:
        current = await store.current_lines(
            sorted({(a.record.line.manifest_id, a.record.line.line_id) for a in accepted})
        )
        kept: dict[LineKey, LineVersion] = {}
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
                or key in kept
                or not newer_wins(known.version if known else None, line.version)
            ):
                result.outcome = "ignored"
                continue
            result.outcome = "withdrawn" if line.withdrawn else "amended" if known else "declared"
            event = line_event_type(line, inserted=known is None)
            SOURCE.publish(store, MANIFEST_LINES, line_key(*key), event, line)
            kept[key] = LineVersion(
                item.record, item.flags, diff(known, line), item.submission.source
            )
        if not kept:
            return
        await store.add_versions(list(kept.values()), now)
        await record_feed_activity(store, now)

    def subject(self, result: LineResult) -> str | None:
        if result.manifest_id and result.line_id:
            return line_key(result.manifest_id, result.line_id)
        return None


LINES = LineIntake()


async def declare(
    store: LineStore, submissions: Sequence[Submission], now: datetime
) -> list[LineResult]:
    return await pipeline.take_in(store, submissions, LINES, now)


FEED_EVENT_EVERY = timedelta(minutes=1)


async def record_feed_activity(store: LineStore, now: datetime) -> None:
    """Remember when DMF last sent something; say so on Kafka at most once a minute."""
    [previous] = (await store.touch_feeds([FEED_SOURCE], now)).values()
    if previous is None or now - previous >= FEED_EVENT_EVERY:
        status = FeedStatus(
            system=FEED_SOURCE, last_record_at=now, last_heartbeat_at=None, emergency=False, at=now
        )
        SOURCE.publish(store, MANIFEST_FEEDS, FEED_SOURCE, EventType.DMF_FEED_ACTIVE, status)


async def update_eta(store: LineStore, record: EtaUpdate, now: datetime) -> int:
    """A new ETA for a manifest (or some of its containers): stored on the current lines and
    published; returns how many lines it applies to."""
    _within_window("eta", record.eta, now)
    # An empty list of containers moves the whole manifest, as none given does.
    containers = _containers(record.containers or None)
    moved = await store.move_eta(record.manifest_id, record.eta, containers)
    SOURCE.publish(store, MANIFEST_ETA, record.manifest_id, EventType.ETA_UPDATED, record)
    await record_feed_activity(store, now)
    return moved


async def record_arrival(store: LineStore, record: Arrival, now: datetime) -> None:
    _within_window("arrived_at", record.arrived_at, now)
    containers = _containers(record.containers)
    await store.add_arrival(record.manifest_id, record.arrived_at, containers)
    SOURCE.publish(store, MANIFEST_ARRIVALS, record.manifest_id, EventType.ARRIVAL, record)
    await record_feed_activity(store, now)


def _containers(given: Sequence[str] | None) -> list[str] | None:
    """The containers an ETA or arrival names, normalised (None: the whole manifest)."""
    return None if given is None else [container_number(c).value for c in given]


def _within_window(field: str, value: datetime, now: datetime) -> None:
    outside = intake_window().reason(field, value, now)
    if outside is not None:
        raise invalid_field(field, value.isoformat(), outside["rule"], outside["message"])


def counts(results: Sequence[LineResult]) -> dict[str, int]:
    return model.counts(results, LINE_OUTCOMES)


async def resubmit(store: LineStore, rejection_id: int, line: Any, now: datetime) -> LineResult:
    """The corrected line for a refused one (404 for an unknown rejection, 409 for one already
    re-submitted); on acceptance the rejection is closed. The caller commits."""
    await store.open_rejection(rejection_id)
    return await pipeline.resubmit(store, LINES, rejection_id, line, now)
