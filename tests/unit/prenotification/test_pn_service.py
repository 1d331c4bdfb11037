"""The pre-notification service layer (pnm.prenotification.handlers, pnm.prenotification.feeds)
over its store in memory: what versions come out as, what is refused and kept, re-submission,
heartbeats and emergency procedures, and reduced-check certificates found overdue."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from prenotification_fakes import MemoryNotificationStore

from pnm.prenotification import feeds, handlers
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.handlers import Authorise
from pnm.shared.contracts.records import (
    ChedType,
    Control,
    PreNotification,
    PreNotificationStatus,
)
from pnm.shared.contracts.topics import COMPLIANCE, FEEDS, PRENOTIFICATIONS, EventType
from pnm.shared.http import DomainError
from pnm.shared.intake.model import Issue, Submission
from pnm.testing.records import STARTED, container, prenotification

NOW = STARTED
BEEF = "CHEDP.NL.2026.0000001"
GRAPES = "CHEDPP.NL.2026.0010002"
Status = PreNotificationStatus


def beef(version: int = 1, status: Status = Status.SUBMITTED, **changes: Any) -> PreNotification:
    record = prenotification(
        BEEF,
        ched_type=ChedType.CHED_P,
        cn_code="0201",
        description="beef",
        containers=[container(1)],
        version=version,
        status=status,
    )
    return record.model_copy(update=changes)


def grapes(status: Status = Status.SUBMITTED, version: int = 1) -> PreNotification:
    """A reduced check: its original certificate is due 48 hours after the expected arrival."""
    record = prenotification(
        GRAPES,
        ched_type=ChedType.CHED_PP,
        cn_code="08061010",
        description="grapes",
        containers=[container(2)],
        status=status,
        version=version,
    )
    return record.model_copy(update={"control": Control(regime="reduced")})


def anyone(record: PreNotification) -> Issue | None:
    return None


def intake(
    store: MemoryNotificationStore,
    *records: PreNotification | dict[str, Any],
    authorise: Authorise = anyone,
) -> list[handlers.NotificationResult]:
    submissions = [
        Submission(r if isinstance(r, dict) else r.model_dump(mode="json"), "bulk", "vgc", n)
        for n, r in enumerate(records)
    ]
    return asyncio.run(
        handlers.intake(
            store, submissions, authorise=authorise, data=shipped_reference_data(), now=NOW
        )
    )


def outcomes(
    store: MemoryNotificationStore, *records: PreNotification | dict[str, Any]
) -> list[str]:
    return [r.outcome for r in intake(store, *records)]


def published(store: MemoryNotificationStore) -> list[tuple[str, int]]:
    return [(e.type, e.data["version"]) for e in store.staged(PRENOTIFICATIONS)]


def test_a_new_notification_is_created_with_its_lead_time_and_published() -> None:
    store = MemoryNotificationStore()
    assert outcomes(store, beef()) == ["created"]
    kept = store.notifications[BEEF].record
    assert kept.lead_time is not None and kept.lead_time.on_time
    assert set(store.history) == {(BEEF, 1)} and store.history[(BEEF, 1)].channel == "bulk"
    assert published(store) == [(EventType.PRENOTIFICATION_SUBMITTED, 1)]
    assert store.feeds["vgc"].last_record_at == NOW


def test_a_newer_version_amends_or_changes_the_status() -> None:
    store = MemoryNotificationStore()
    intake(store, beef())
    assert outcomes(store, beef(2), beef(3, Status.VALIDATED)) == ["amended", "amended"]
    assert store.notifications[BEEF].record.version == 3
    assert set(store.history) == {(BEEF, 1), (BEEF, 2), (BEEF, 3)}
    assert published(store)[1:] == [
        (EventType.PRENOTIFICATION_AMENDED, 2),
        (EventType.PRENOTIFICATION_STATUS_CHANGED, 3),
    ]


def test_versions_of_one_batch_pass_in_order_and_the_newest_is_current() -> None:
    store = MemoryNotificationStore()
    assert outcomes(store, beef(2, Status.VALIDATED), beef(1)) == ["amended", "created"]
    assert store.notifications[BEEF].record.version == 2
    assert published(store) == [
        (EventType.PRENOTIFICATION_SUBMITTED, 1),
        (EventType.PRENOTIFICATION_STATUS_CHANGED, 2),
    ]


def test_an_older_or_the_same_version_is_ignored_and_not_published() -> None:
    store = MemoryNotificationStore()
    intake(store, beef(2))
    assert outcomes(store, beef(1), beef(2)) == ["ignored", "ignored"]
    assert store.notifications[BEEF].record.version == 2
    assert published(store) == [(EventType.PRENOTIFICATION_SUBMITTED, 2)]


def test_a_status_the_life_cycle_forbids_is_refused_and_kept() -> None:
    store = MemoryNotificationStore()
    intake(store, beef(1, Status.CANCELLED))
    [result] = intake(store, beef(2))
    assert result.outcome == "rejected" and result.rejection_id == 1
    assert [i.rule for i in result.issues] == ["status.transition"]
    assert store.notifications[BEEF].record.version == 1


def test_refused_input_is_kept_with_its_reasons_and_the_rest_is_stored() -> None:
    store = MemoryNotificationStore()
    unknown = beef(reference="CHEDP.NL.2026.0000002", bcp="XXNOPE")
    results = intake(store, beef(), unknown, {"reference": "nonsense"})
    assert [r.outcome for r in results] == ["created", "rejected", "rejected"]
    assert [r.rejection_id for r in results] == [None, 1, 2]
    kept = store.rejections[1].refused
    assert (kept.subject, kept.row_number, kept.channel) == ("CHEDP.NL.2026.0000002", 1, "bulk")
    assert "bcp" in {r["field"] for r in kept.reasons}
    assert set(store.notifications) == {BEEF}


def test_a_refusal_by_the_authorisation_is_kept_too() -> None:
    store = MemoryNotificationStore()

    def nobody(record: PreNotification) -> Issue:
        return Issue("system", record.system, "auth.system", "not yours", "error")

    [result] = intake(store, beef(), authorise=nobody)
    assert result.outcome == "rejected" and [i.rule for i in result.issues] == ["auth.system"]
    assert store.notifications == {} and store.staged(PRENOTIFICATIONS) == []


def test_a_corrected_record_closes_its_rejection_once() -> None:
    store = MemoryNotificationStore()
    intake(store, beef(bcp="XXNOPE"))
    right = beef().model_dump(mode="json")

    def resubmit(rejection_id: int) -> handlers.NotificationResult:
        return asyncio.run(
            handlers.resubmit(
                store,
                rejection_id,
                right,
                authorise=anyone,
                entered_by=None,
                data=shipped_reference_data(),
                now=NOW,
            )
        )

    assert resubmit(1).outcome == "created"
    assert store.rejections[1].resubmitted_as == BEEF
    assert store.history[(BEEF, 1)].channel == "resubmit"
    with pytest.raises(DomainError) as again:
        resubmit(1)
    assert again.value.status == 409


def test_a_heartbeat_is_kept_and_published() -> None:
    store = MemoryNotificationStore()
    status = asyncio.run(feeds.heartbeat(store, "vgc", NOW))
    assert status.last_heartbeat_at == NOW and status.last_record_at is None
    assert store.feeds["vgc"].last_heartbeat_at == NOW
    assert [(e.type, e.subject) for e in store.staged(FEEDS)] == [(EventType.FEED_HEARTBEAT, "vgc")]


def test_an_emergency_procedure_starts_once_and_ends_once() -> None:
    store = MemoryNotificationStore()

    def emergency(action: Any, at: timedelta) -> Any:
        return asyncio.run(feeds.emergency(store, "vgc", action, "nvwa-1", "outage", NOW + at))

    started = emergency("start", timedelta(0))
    assert started.emergency and started.emergency_declared_by == "nvwa-1"
    with pytest.raises(feeds.FeedConflict):
        emergency("start", timedelta(minutes=1))
    ended = emergency("end", timedelta(hours=1))
    assert not ended.emergency and ended.emergency_since is None
    with pytest.raises(feeds.FeedConflict):
        emergency("end", timedelta(hours=2))
    [procedure] = store.procedures
    assert (procedure.started_at, procedure.ended_at) == (NOW, NOW + timedelta(hours=1))
    assert [e.type for e in store.staged(FEEDS)] == [
        EventType.FEED_EMERGENCY_STARTED,
        EventType.FEED_EMERGENCY_ENDED,
    ]


def test_an_overdue_certificate_is_published_once() -> None:
    store = MemoryNotificationStore()
    intake(store, grapes(), beef())
    due = store.notifications[GRAPES].certificate_due_at
    assert due is not None and store.notifications[BEEF].certificate_due_at is None
    assert asyncio.run(feeds.publish_overdue_certificates(store, due)) == 0  # not before
    later = due + timedelta(minutes=1)
    assert asyncio.run(feeds.publish_overdue_certificates(store, later)) == 1
    assert asyncio.run(feeds.publish_overdue_certificates(store, later)) == 0
    [finding] = store.staged(COMPLIANCE)
    assert (finding.type, finding.subject) == (EventType.CERTIFICATE_OVERDUE, GRAPES)


def test_a_registered_certificate_or_a_cancelled_notification_is_never_overdue() -> None:
    store = MemoryNotificationStore()
    intake(store, grapes())
    due = store.notifications[GRAPES].certificate_due_at
    assert due is not None
    assert asyncio.run(feeds.register_certificate(store, GRAPES, due)) == due
    # A later version keeps the registration.
    intake(store, grapes(Status.VALIDATED, version=2))
    assert asyncio.run(feeds.publish_overdue_certificates(store, due + timedelta(days=1))) == 0
    cancelled = MemoryNotificationStore()
    intake(cancelled, grapes(), grapes(Status.CANCELLED, version=2))
    assert asyncio.run(feeds.publish_overdue_certificates(cancelled, due + timedelta(days=1))) == 0
    with pytest.raises(feeds.UnknownPreNotification):
        asyncio.run(feeds.register_certificate(store, "CHEDPP.NL.2026.0099999", due))
