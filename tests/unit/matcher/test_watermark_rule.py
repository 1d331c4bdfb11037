"""No block on a transient decision (docs/watermark.md): the pure rule that holds
`unnotified` and `invalid_notification` back until the pre-notification watermark has passed
the moment of the decision."""

from __future__ import annotations

from datetime import timedelta

from matcher_cases import INDICATORS, decide_at

from pnm.matcher.domain.facts import LineFacts
from pnm.matcher.domain.matching import ArrivalFacts, evaluate
from pnm.matcher.domain.watermark import BACKLOG, Backlog, PartitionMark, feed_watermark
from pnm.shared.contracts.records import (
    ChedType,
    DecisionStatus,
    PreNotification,
    PreNotificationStatus,
    Regime,
)
from pnm.testing.records import BASE_ETA, container, manifest_line, prenotification

S = DecisionStatus
BOX = container(1)
LINE = manifest_line(
    "M-EMMA-248W", "1", hs_code="020130", description="Frozen beef", containers=[BOX]
)
DUE = BASE_ETA + timedelta(minutes=5)  # the moment the line is found due (it arrived)
BEHIND = Backlog(DUE - timedelta(seconds=1), DUE)
PASSED = Backlog(DUE, DUE)


def beef(status: PreNotificationStatus = PreNotificationStatus.SUBMITTED) -> PreNotification:
    return prenotification(
        "CHEDP.NL.2026.0000001",
        ched_type=ChedType.CHED_P,
        cn_code="02013000",
        description="Frozen boneless beef",
        containers=[BOX],
        status=status,
    )


def test_the_feed_watermark_is_the_lowest_of_every_partition_and_none_while_one_is_missing() -> (
    None
):
    t = BASE_ETA
    marks = [PartitionMark(p, 3, t + timedelta(seconds=p)) for p in range(3)]
    assert feed_watermark(marks) == t
    assert feed_watermark(marks[1:]) is None  # partition 0 never stamped
    assert feed_watermark([]) is None


def test_an_unnotified_line_waits_while_the_watermark_is_behind_the_moment() -> None:
    held = decide_at(LINE, arrived=True, now=DUE, backlog=BEHIND)
    assert held.status is S.AWAITING_NOTIFICATION
    reason = held.reasons[-1]
    assert reason.code == BACKLOG
    assert DUE.isoformat() in reason.text and BEHIND.watermark is not None
    assert BEHIND.watermark.isoformat() in reason.text
    never = decide_at(LINE, arrived=True, now=DUE, backlog=Backlog(None, DUE))
    assert never.status is S.AWAITING_NOTIFICATION
    assert "no watermark yet" in never.reasons[-1].text


def test_once_the_watermark_has_passed_the_block_is_issued() -> None:
    assert decide_at(LINE, arrived=True, now=DUE, backlog=PASSED).status is S.UNNOTIFIED
    # Without a backlog (the replay: its inputs are in order) nothing waits.
    assert decide_at(LINE, arrived=True, now=DUE).status is S.UNNOTIFIED


def test_an_invalid_notification_waits_too_a_new_version_may_be_on_its_way() -> None:
    cancelled = beef(PreNotificationStatus.CANCELLED)
    held = decide_at(LINE, [cancelled], arrived=True, now=DUE, backlog=BEHIND)
    assert held.status is S.AWAITING_NOTIFICATION
    assert held.reasons[-1].code == BACKLOG
    issued = decide_at(LINE, [cancelled], arrived=True, now=DUE, backlog=PASSED)
    assert issued.status is S.INVALID_NOTIFICATION


def test_a_block_issued_before_stays_and_what_is_no_block_never_waits() -> None:
    kept = decide_at(
        LINE, arrived=True, now=DUE, backlog=BEHIND, previous={Regime.VET: S.UNNOTIFIED}
    )
    assert kept.status is S.UNNOTIFIED
    notified = decide_at(LINE, [beef()], arrived=True, now=DUE, backlog=BEHIND)
    assert notified.status is S.NOTIFIED
    overdue = decide_at(LINE, now=BASE_ETA - timedelta(hours=2), backlog=BEHIND)
    assert overdue.status is S.OVERDUE


def test_the_evaluation_keeps_the_moment_it_waits_as_of() -> None:
    facts = LineFacts.of(LINE)
    arrived = [ArrivalFacts(LINE.manifest_id, None, BASE_ETA)]
    held = evaluate(LINE, facts, [], [], arrived, {}, None, INDICATORS, DUE, BEHIND)
    assert held.feed_held and held.held_since == DUE
    issued = evaluate(LINE, facts, [], [], arrived, {}, None, INDICATORS, DUE, PASSED)
    assert issued.decision.status is S.UNNOTIFIED
    assert not issued.feed_held and issued.held_since is None
