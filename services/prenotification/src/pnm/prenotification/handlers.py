"""Service layer of the pre-notification service: validate, version and store what the feeds,
files and authorities send, and stage the events; the caller commits. What is the same for
every intake (each input checked alone, refusals kept, feed activity) is pnm.shared.intake;
this module holds the pre-notification's checks and store.

Everything runs in batches (a single REST record is a batch of one), so that a bulk request or a
file of ten thousand rows costs a handful of statements, not tens of thousands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from pnm.prenotification.adapters.tables import (
    feed,
    prenotification,
    prenotification_version,
    rejections,
)
from pnm.prenotification.domain.lead_time import lead_time
from pnm.prenotification.domain.lifecycle import IllegalStatusTransition, check_transition
from pnm.prenotification.domain.reduced_check import certificate_due
from pnm.prenotification.domain.reference_data import ReferenceData
from pnm.prenotification.domain.references import parse_reference
from pnm.prenotification.domain.validation import validate
from pnm.shared.contracts.envelope import new_event
from pnm.shared.contracts.records import (
    IntakeFlag,
    LeadTimeCompliance,
    PreNotification,
    PreNotificationStatus,
)
from pnm.shared.contracts.topics import PRENOTIFICATIONS, EventType
from pnm.shared.db import UnitOfWork, upsert
from pnm.shared.identifiers import container_number, transport_document_number
from pnm.shared.intake import model, pipeline
from pnm.shared.intake.model import Accepted, IntakeResult, Issue, Submission
from pnm.shared.settings import intake_window
from pnm.shared.versions import newer_wins

SOURCE = "/pnm/prenotification"
Outcome = Literal["created", "amended", "ignored", "rejected"]
OUTCOMES = get_args(Outcome)
FEED_CLOCK = pipeline.FeedClock(feed, "system", "last_record_at")
# Who may write this record? Returns the refusal, or None when allowed.
Authorise = Callable[[PreNotification], Issue | None]


@dataclass
class NotificationResult(IntakeResult):
    reference: str | None = None
    status: str | None = None

    def refuse(self, issues: list[Issue]) -> None:
        super().refuse(issues)
        self.status = None


def _computed(
    record: PreNotification, submission: Submission, data: ReferenceData
) -> PreNotification:
    """The record as published: reference normalised (raw kept), lead time, flags, officer."""
    reference = parse_reference(record.reference)
    bcp = data.bcps.named(record.bcp, record.mode)
    compliance = lead_time(record, bcp)
    return record.model_copy(
        update={
            "reference": reference.normalised,
            "raw_reference": record.reference,
            "lead_time": LeadTimeCompliance(
                on_time=compliance.on_time,
                deadline=compliance.deadline,
                rule=compliance.rule,
                bcp=bcp.code if bcp else None,
                bcp_table=data.bcps.version,
            ),
            "entered_by": submission.entered_by,
        }
    )


def event_type_for(previous: str | None, record: PreNotification) -> str:
    if previous is None:
        return EventType.PRENOTIFICATION_SUBMITTED
    if record.status is PreNotificationStatus.CANCELLED:
        return EventType.PRENOTIFICATION_CANCELLED
    if record.status.value != previous:
        return EventType.PRENOTIFICATION_STATUS_CHANGED
    return EventType.PRENOTIFICATION_AMENDED


class NotificationIntake(
    pipeline.IntakeRules[PreNotification, PreNotification, NotificationResult]
):
    """Pre-notifications: authorised, validated against the reference data, their lead time
    computed; versioned per reference along the status life cycle."""

    model = PreNotification
    rejections = rejections

    def __init__(self, authorise: Authorise, data: ReferenceData) -> None:
        self.authorise = authorise
        self.data = data

    def result(self, submission: Submission) -> NotificationResult:
        return NotificationResult(row_number=submission.row_number)

    def accept(
        self,
        submission: Submission,
        record: PreNotification,
        result: NotificationResult,
        now: datetime,
    ) -> tuple[PreNotification, list[Issue]] | list[Issue]:
        result.reference = record.reference
        result.version = record.version
        refusal = self.authorise(record)
        issues = (
            [refusal]
            if refusal
            else [*_outside_window(record, now), *validate(record, self.data, now)]
        )
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            return errors
        flags = [i for i in issues if i.severity == "flag"]
        computed = _computed(record, submission, self.data).model_copy(
            update={
                "flags": [
                    IntakeFlag(field=f.field, value=f.value, rule=f.rule, message=f.message)
                    for f in flags
                ]
            }
        )
        return computed, flags

    def batch_order(
        self, accepted: list[Accepted[PreNotification]]
    ) -> list[Accepted[PreNotification]]:
        # Older versions first, so that a batch holding several versions of one record ends on
        # the newest, whatever order they came in; each passes the status life cycle in turn.
        return sorted(accepted, key=lambda a: (a.record.reference, a.record.version))

    async def store(
        self,
        uow: UnitOfWork,
        accepted: Sequence[Accepted[PreNotification]],
        results: list[NotificationResult],
        now: datetime,
    ) -> None:
        references = sorted({a.record.reference for a in accepted})
        current: dict[str, tuple[int, str]] = {
            r.reference: (r.version, r.status)
            for r in await uow.conn.execute(
                select(
                    prenotification.c.reference, prenotification.c.version, prenotification.c.status
                )
                .where(prenotification.c.reference.in_(references))
                .with_for_update()
            )
        }
        final: dict[str, Accepted[PreNotification]] = {}
        versions: list[dict[str, Any]] = []
        for item in accepted:  # in batch_order
            record, result = item.record, results[item.index]
            result.reference, result.version, result.status = (
                record.reference,
                record.version,
                record.status.value,
            )
            known = current.get(record.reference)
            if known is not None and not newer_wins(known[0], record.version):
                result.outcome, result.issues = "ignored", item.flags
                continue
            if known is not None:
                try:
                    check_transition(PreNotificationStatus(known[1]), record.status)
                except IllegalStatusTransition as err:
                    result.issues = [
                        Issue("status", record.status.value, "status.transition", str(err), "error")
                    ]
                    continue
            result.outcome, result.issues = ("created" if known is None else "amended"), item.flags
            uow.publish(
                PRENOTIFICATIONS,
                record.reference,
                new_event(
                    type=event_type_for(known[1] if known else None, record),
                    source=SOURCE,
                    subject=record.reference,
                    record=record,
                ),
            )
            current[record.reference] = (record.version, record.status.value)
            final[record.reference] = item
            versions.append(
                {
                    "reference": record.reference,
                    "version": record.version,
                    "status": record.status.value,
                    "record": record.model_dump(mode="json"),
                    "channel": item.submission.channel,
                    "entered_by": item.submission.entered_by,
                }
            )
        if not final:
            return
        await upsert(
            uow.conn, prenotification, [_row(i.record, now) for i in final.values()], ["reference"]
        )
        await uow.conn.execute(
            pg_insert(prenotification_version).on_conflict_do_nothing(), versions
        )
        await record_feed_activity(uow, {item.record.system for item in final.values()}, now)

    def subject(self, result: NotificationResult) -> str | None:
        return result.reference


async def intake(
    uow: UnitOfWork,
    submissions: Sequence[Submission],
    *,
    authorise: Authorise,
    data: ReferenceData,
    now: datetime,
) -> list[NotificationResult]:
    return await pipeline.take_in(uow, submissions, NotificationIntake(authorise, data), now)


def _outside_window(record: PreNotification, now: datetime) -> list[Issue]:
    outside = intake_window().reason("expected_arrival", record.expected_arrival, now)
    return [] if outside is None else [Issue.of(outside)]


def _row(record: PreNotification, now: datetime) -> dict[str, Any]:
    due = certificate_due(record)
    return {
        "reference": record.reference,
        "version": record.version,
        "system": record.system,
        "status": record.status.value,
        "record": record.model_dump(mode="json"),
        "received_at": now,
        "raw_reference": record.raw_reference,
        "ched_type": record.ched_type.value,
        "bcp": record.bcp,
        "submitted_at": record.submitted_at,
        "expected_arrival": record.expected_arrival,
        "importer_name": record.importer.name,
        "containers": sorted({container_number(c).value for c in record.containers}),
        "transport_document": transport_document_number(record.transport_document)
        if record.transport_document
        else None,
        "on_time": record.lead_time.on_time if record.lead_time else None,
        "flagged": bool(record.flags),
        "entered_by": record.entered_by,
        "certificate_due_at": due,
        "updated_at": now,
    }


async def record_feed_activity(uow: UnitOfWork, systems: set[str], now: datetime) -> None:
    await FEED_CLOCK.touch(uow.conn, systems, now)


def counts(results: Sequence[NotificationResult]) -> Mapping[str, int]:
    return model.counts(results, OUTCOMES)


async def resubmit(
    uow: UnitOfWork,
    rejection_id: int,
    record: Any,
    *,
    authorise: Authorise,
    entered_by: str | None,
    data: ReferenceData,
    now: datetime,
) -> NotificationResult:
    """The corrected record for a refused input (the caller has checked who may correct it);
    on acceptance the rejection is closed. The caller commits."""
    rules = NotificationIntake(authorise, data)
    return await pipeline.resubmit(uow, rules, rejection_id, record, now, entered_by)
