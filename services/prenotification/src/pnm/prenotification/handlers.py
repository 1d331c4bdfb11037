"""Service layer of the pre-notification service: validate, version and store what the feeds,
files and authorities send, and stage the events; the caller commits. What is the same for
every intake (each input checked alone, refusals kept, feed activity) is pnm.shared.intake;
this module holds the pre-notification's checks and what it stores, through its store
(`store.NotificationStore`), never SQL.

Everything runs in batches (a single REST record is a batch of one), so that a bulk request or a
file of ten thousand rows costs a handful of statements, not tens of thousands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

from pnm.prenotification.domain.lead_time import lead_time
from pnm.prenotification.domain.lifecycle import IllegalStatusTransition, check_transition
from pnm.prenotification.domain.reference_data import ReferenceData
from pnm.prenotification.domain.references import parse_reference
from pnm.prenotification.domain.validation import validate
from pnm.prenotification.store import NotificationStore, NotificationVersion
from pnm.shared.contracts.records import (
    IntakeFlag,
    LeadTimeCompliance,
    PreNotification,
    PreNotificationStatus,
)
from pnm.shared.contracts.topics import PRENOTIFICATIONS, EventType
from pnm.shared.intake import model, pipeline
from pnm.shared.intake.model import Accepted, IntakeResult, Issue, Submission
from pnm.shared.messaging.source import EventSource
from pnm.shared.settings import intake_window
from pnm.shared.versions import newer_wins

SOURCE = EventSource("/pnm/prenotification")
NotificationOutcome = Literal["created", "amended", "ignored", "rejected"]
NOTIFICATION_OUTCOMES = get_args(NotificationOutcome)
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
    pipeline.IntakeRules[PreNotification, PreNotification, NotificationResult, NotificationStore]
):
    """Pre-notifications: authorised, validated against the reference data, their lead time
    computed; versioned per reference along the status life cycle."""

    model = PreNotification

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
        store: NotificationStore,
        accepted: Sequence[Accepted[PreNotification]],
        results: list[NotificationResult],
        now: datetime,
    ) -> None:
        current = await store.current_notifications(sorted({a.record.reference for a in accepted}))
        versions: list[NotificationVersion] = []
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
            event = event_type_for(known[1] if known else None, record)
            SOURCE.publish(store, PRENOTIFICATIONS, record.reference, event, record)
            current[record.reference] = (record.version, record.status.value)
            versions.append(
                NotificationVersion(record, item.submission.channel, item.submission.entered_by)
            )
        if not versions:
            return
        await store.add_versions(versions, now)
        # The feeds of the versions that became current (the last of each reference).
        final = {v.record.reference: v.record.system for v in versions}
        await store.touch_feeds(set(final.values()), now)

    def subject(self, result: NotificationResult) -> str | None:
        return result.reference


async def intake(
    store: NotificationStore,
    submissions: Sequence[Submission],
    *,
    authorise: Authorise,
    data: ReferenceData,
    now: datetime,
) -> list[NotificationResult]:
    return await pipeline.take_in(store, submissions, NotificationIntake(authorise, data), now)


def _outside_window(record: PreNotification, now: datetime) -> list[Issue]:
    outside = intake_window().reason("expected_arrival", record.expected_arrival, now)
    return [] if outside is None else [Issue.of(outside)]


def counts(results: Sequence[NotificationResult]) -> Mapping[str, int]:
    return model.counts(results, NOTIFICATION_OUTCOMES)


async def resubmit(
    store: NotificationStore,
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
    return await pipeline.resubmit(store, rules, rejection_id, record, now, entered_by)
