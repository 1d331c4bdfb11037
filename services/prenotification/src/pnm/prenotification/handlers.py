"""Service layer of the pre-notification service: validate, version and store what the feeds,
files and authorities send, and stage the events; the caller commits.

Everything runs in batches (a single REST record is a batch of one), so that a bulk request or a
file of ten thousand rows costs a handful of statements, not tens of thousands."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError

from pnm.prenotification.adapters.tables import (
    feed,
    prenotification,
    prenotification_version,
    rejections,
)
from pnm.prenotification.domain.issues import Issue
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
from pnm.shared.isolation import refusal_reason, store_isolated
from pnm.shared.rejections import Refused, schema_reasons
from pnm.shared.settings import intake_window
from pnm.shared.versions import newer_wins

SOURCE = "/pnm/prenotification"
Outcome = Literal["created", "amended", "ignored", "rejected"]
# Who may write this record? Returns the refusal, or None when allowed.
Authorise = Callable[[PreNotification], Issue | None]


@dataclass(frozen=True)
class Submission:
    """One input as received, and where it came from."""

    payload: Any
    channel: str  # rest | bulk | file | written | resubmit
    source: str | None = None
    row_number: int | None = None
    entered_by: str | None = None
    problem: dict[str, Any] | None = None  # a file row that is no record (pnm.shared.files)


@dataclass
class IntakeResult:
    outcome: Outcome
    reference: str | None = None
    version: int | None = None
    status: str | None = None
    issues: list[Issue] = field(default_factory=list)
    rejection_id: int | None = None
    row_number: int | None = None


@dataclass
class _Accepted:
    index: int
    submission: Submission
    record: PreNotification
    flags: list[Issue]


def schema_issues(err: ValidationError) -> list[Issue]:
    return [Issue(**reason) for reason in schema_reasons(err)]


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


async def intake(
    uow: UnitOfWork,
    submissions: Sequence[Submission],
    *,
    authorise: Authorise,
    data: ReferenceData,
    now: datetime,
) -> list[IntakeResult]:
    results = [IntakeResult("rejected", row_number=s.row_number) for s in submissions]
    accepted: list[_Accepted] = []
    for index, submission in enumerate(submissions):
        if submission.problem is not None:
            results[index].issues = [Issue(**submission.problem)]
            continue
        try:
            record = PreNotification.model_validate(submission.payload)
        except ValidationError as err:
            results[index].issues = schema_issues(err)
            continue
        results[index].reference = record.reference
        results[index].version = record.version
        refusal = authorise(record)
        issues = (
            [refusal] if refusal else [*_outside_window(record, now), *validate(record, data, now)]
        )
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            results[index].issues = errors
            continue
        flags = [i for i in issues if i.severity == "flag"]
        computed = _computed(record, submission, data).model_copy(
            update={
                "flags": [
                    IntakeFlag(field=f.field, value=f.value, rule=f.rule, message=f.message)
                    for f in flags
                ]
            }
        )
        accepted.append(_Accepted(index, submission, computed, flags))

    await store_isolated(
        uow,
        sorted(accepted, key=lambda a: (a.record.reference, a.record.version)),
        lambda items: _store(uow, items, results, now),
        lambda item, err: _refused_by_store(results[item.index], err),
    )
    await _keep_rejections(uow, submissions, results)
    return results


def _outside_window(record: PreNotification, now: datetime) -> list[Issue]:
    outside = intake_window().reason("expected_arrival", record.expected_arrival, now)
    return [] if outside is None else [Issue(**outside)]


def _refused_by_store(result: IntakeResult, err: DBAPIError) -> None:
    result.outcome, result.status, result.issues = "rejected", None, [Issue(**refusal_reason(err))]


async def _store(
    uow: UnitOfWork, accepted: Sequence[_Accepted], results: list[IntakeResult], now: datetime
) -> None:
    references = sorted({a.record.reference for a in accepted})
    current: dict[str, tuple[int, str]] = {
        r.reference: (r.version, r.status)
        for r in await uow.conn.execute(
            select(prenotification.c.reference, prenotification.c.version, prenotification.c.status)
            .where(prenotification.c.reference.in_(references))
            .with_for_update()
        )
    }
    final: dict[str, _Accepted] = {}
    versions: list[dict[str, Any]] = []
    # Older versions first, so that a batch holding several versions of one record ends on
    # the newest, whatever order they came in.
    for item in sorted(accepted, key=lambda a: (a.record.reference, a.record.version)):
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
    await uow.conn.execute(pg_insert(prenotification_version).on_conflict_do_nothing(), versions)
    await record_feed_activity(uow, {item.record.system for item in final.values()}, now)


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
    for system in sorted(systems):
        stmt = pg_insert(feed).values(system=system, last_record_at=now)
        await uow.conn.execute(
            stmt.on_conflict_do_update(index_elements=["system"], set_={"last_record_at": now})
        )


async def _keep_rejections(
    uow: UnitOfWork, submissions: Sequence[Submission], results: list[IntakeResult]
) -> None:
    await rejections.keep_refused(
        uow.conn,
        [
            (
                Refused(
                    s.channel,
                    s.source,
                    s.row_number,
                    r.reference,
                    s.payload,
                    [issue_json(i) for i in r.issues],
                ),
                r,
            )
            for s, r in zip(submissions, results, strict=True)
            if r.outcome == "rejected"
        ],
    )


def issue_json(issue: Issue) -> dict[str, Any]:
    return {
        "field": issue.field,
        "value": issue.value,
        "rule": issue.rule,
        "message": issue.message,
        "severity": issue.severity,
    }


def counts(results: Sequence[IntakeResult]) -> Mapping[str, int]:
    summary = {"created": 0, "amended": 0, "ignored": 0, "rejected": 0}
    for r in results:
        summary[r.outcome] += 1
    return summary


async def resubmit(
    uow: UnitOfWork,
    rejection_id: int,
    record: Any,
    *,
    authorise: Authorise,
    entered_by: str | None,
    data: ReferenceData,
    now: datetime,
) -> IntakeResult:
    """The corrected record for a refused input (the caller has checked who may correct it);
    on acceptance the rejection is closed. The caller commits."""
    submission = Submission(
        record, "resubmit", source=f"rejection {rejection_id}", entered_by=entered_by
    )
    [result] = await intake(uow, [submission], authorise=authorise, data=data, now=now)
    if result.outcome != "rejected" and result.reference:
        await rejections.mark_resubmitted(uow.conn, rejection_id, result.reference, now)
    return result
