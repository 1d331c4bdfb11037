"""The matcher's pure domain, stage by stage (docs/architecture.md, "The matcher's stages"):
selection, scoring and thresholds, per-regime decisions, deadlines, feed outage, the decision
record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from matcher_cases import BEFORE_DEADLINE, INDICATORS, decide_at

from pnm.matcher.adapters.indicator_data import validated
from pnm.matcher.domain.deadlines import Timeline
from pnm.matcher.domain.decision import SEVERITY
from pnm.matcher.domain.feeds import degraded_feeds
from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetError
from pnm.matcher.domain.matching import decision_record, same_substance
from pnm.matcher.domain.selection import select_regimes
from pnm.shared.contracts.records import (
    ChedType,
    DecisionStatus,
    FeedStatus,
    ManifestLine,
    Mode,
    PreNotification,
    PreNotificationStatus,
    Regime,
)
from pnm.testing.records import BASE_ETA, container, manifest_line, prenotification

S = DecisionStatus
P = PreNotificationStatus
BEEF = "020130"
GRAPES = "080610"
SHIRTS = "610910"
BOX = container(1)


def line(
    hs_code: str | None = BEEF,
    *,
    description: str = "goods",
    containers: list[str] | None = None,
    withdrawn: bool = False,
    eta: datetime = BASE_ETA,
    gross: float = 18_000.0,
) -> ManifestLine:
    return manifest_line(
        "M-EMMA-248W",
        "1",
        hs_code=hs_code,
        description=description,
        containers=[BOX] if containers is None else containers,
        withdrawn=withdrawn,
        eta=eta,
        gross_mass_kg=gross,
    )


def beef_pn(
    reference: str = "CHEDP.NL.2026.0000001",
    *,
    status: PreNotificationStatus = P.SUBMITTED,
    containers: list[str] | None = None,
    cn_code: str = "02013000",
    ched_type: ChedType = ChedType.CHED_P,
    net: float | None = None,
    submitted: datetime | None = None,
) -> PreNotification:
    return prenotification(
        reference,
        ched_type=ched_type,
        cn_code=cn_code,
        description="Frozen boneless beef",
        containers=[BOX] if containers is None else containers,
        status=status,
        net_mass_kg=net,
        submitted_at=submitted,
    )


# --- selection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "description", "regimes"),
    [
        (BEEF, "goods", {Regime.VET}),
        ("0201", "goods", {Regime.VET}),
        (GRAPES, "goods", {Regime.PHYTO}),
        (SHIRTS, "Cotton T-shirts", set()),
        ("0220", "goods", set()),  # shares "02" with the meat headings but is no heading
        (None, "Frozen beef cuts", {Regime.VET}),
        (None, "Fresh ROSES", {Regime.PHYTO}),
        (None, "Live eels", {Regime.VET}),
        (None, "Spare parts", set()),
        ("9999", "Fresh mangoes", {Regime.PHYTO}),  # a generic code: the description decides
    ],
)
def test_selection_by_cn_prefix_or_keyword(
    hs_code: str | None, description: str, regimes: set[Regime]
) -> None:
    assert set(select_regimes(line(hs_code, description=description), INDICATORS)) == regimes


def test_selection_reasons_name_the_item_and_its_rule() -> None:
    by_prefix = select_regimes(line(BEEF), INDICATORS)[Regime.VET].reasons[0]
    assert (by_prefix.code, "0201" in by_prefix.text) == ("cn_prefix", True)
    by_text = select_regimes(line(None, description="Frozen beef"), INDICATORS)[Regime.VET]
    assert by_text.reasons[0].code == "goods_text"
    assert "no HS code" in by_text.reasons[0].text
    assert "'beef'" in by_text.reasons[0].text
    assert "heading 0202" in by_text.reasons[0].text


def test_selection_reasons_name_their_indicator_for_the_case_statistics() -> None:
    [by_prefix] = select_regimes(line(BEEF), INDICATORS)[Regime.VET].reasons
    assert by_prefix.indicator == "cn:0201"
    by_text = select_regimes(line(None, description="Frozen beef"), INDICATORS)[Regime.VET]
    assert by_text.reasons[0].indicator == "goods:0202"


def test_a_set_without_a_goods_vocabulary_selects_by_its_keywords() -> None:
    parameters = INDICATORS.parameters.model_copy(update={"goods_vocabulary": None})
    keywords_only = IndicatorSet(INDICATORS.document.model_copy(update={"parameters": parameters}))
    keyword = select_regimes(line(None, description="Frozen beef"), keywords_only)[Regime.VET]
    assert (keyword.reasons[0].code, keyword.reasons[0].indicator) == ("keyword", "keyword:beef")


def test_goods_without_indicator_and_withdrawn_lines_are_not_controlled() -> None:
    assert decide_at(line(SHIRTS), arrived=True).status is S.NOT_CONTROLLED
    withdrawn = decide_at(line(BEEF, withdrawn=True), arrived=True)
    assert withdrawn.status is S.NOT_CONTROLLED
    assert withdrawn.reasons[0].code == "line_withdrawn"


# --- matching ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [P.SUBMITTED, P.VALIDATED])
def test_notified_by_an_exact_container_with_its_explanation(status: PreNotificationStatus) -> None:
    outcome = decide_at(line(), [beef_pn(status=status)], arrived=True)
    assert outcome.status is S.NOTIFIED
    assert outcome.references == ("CHEDP.NL.2026.0000001",)
    levels = {(c.field, c.level) for c in outcome.explanation}
    assert {("container", "exact"), ("goods", "6"), ("weight", "within")} <= levels
    header = outcome.explanation[0]
    assert header.field == "candidate"
    assert header.weight == pytest.approx(sum(c.weight for c in outcome.explanation[1:]))


def test_a_container_typo_still_matches_through_the_weak_block() -> None:
    typo = BOX[:5] + ("7" if BOX[5] != "7" else "8") + BOX[6:]
    outcome = decide_at(line(), [beef_pn(containers=[typo])], arrived=True)
    assert outcome.status is S.NOTIFIED
    assert ("container", "one_edit") in {(c.field, c.level) for c in outcome.explanation}


def test_another_container_on_the_same_vessel_is_not_a_match() -> None:
    outcome = decide_at(line(), [beef_pn(containers=[container(999)])], arrived=True)
    assert outcome.status is S.UNNOTIFIED


def test_a_container_notified_for_other_goods_is_review() -> None:
    roses = beef_pn(cn_code="06031100", ched_type=ChedType.CHED_P)
    outcome = decide_at(line(), [roses], arrived=True)
    assert outcome.status is S.REVIEW
    assert "goods differ" in outcome.reasons[-1].text


def test_a_weight_far_off_is_review() -> None:
    outcome = decide_at(line(gross=20_000), [beef_pn(net=1_000)], arrived=True)
    assert outcome.status is S.REVIEW
    assert "weight far_off" in outcome.reasons[-1].text


def test_a_ched_of_the_other_regime_does_not_cover_the_line() -> None:
    grapes_pn = beef_pn(cn_code="08061010", ched_type=ChedType.CHED_PP)
    assert decide_at(line(BEEF), [grapes_pn], arrived=True).status is S.UNNOTIFIED


@pytest.mark.parametrize("status", [P.CANCELLED, P.REJECTED, P.REPLACED])
def test_only_invalid_notifications_is_invalid_notification(
    status: PreNotificationStatus,
) -> None:
    outcome = decide_at(line(), [beef_pn(status=status)])
    assert outcome.status is S.INVALID_NOTIFICATION
    assert outcome.reasons[-1].code == "no_valid_notification"


def test_a_valid_notification_wins_over_a_cancelled_one() -> None:
    pns = [beef_pn("CHEDP.OLD", status=P.CANCELLED), beef_pn("CHEDP.NEW")]
    outcome = decide_at(line(), pns, arrived=True)
    assert (outcome.status, outcome.references) == (S.NOTIFIED, ("CHEDP.NEW",))


def test_notified_after_the_deadline_is_notified_late() -> None:
    late = beef_pn(submitted=BASE_ETA + timedelta(hours=2))
    outcome = decide_at(line(), [late], arrived=True, now=BASE_ETA + timedelta(hours=3))
    assert outcome.status is S.NOTIFIED_LATE
    assert outcome.reasons[-1].code == "notified_late"


def test_pre_notified_after_an_early_arrival_is_late_whatever_the_eta() -> None:
    # The vessel came in two days before its ETA; the party pre-notified an hour after that,
    # still well before the ETA's deadline. The goods were here unnotified: late.
    early = BASE_ETA - timedelta(days=2)
    timeline = Timeline.of(
        BASE_ETA, early, INDICATORS.bcp("NLRTM", Mode.SEA), INDICATORS.parameters
    )
    assert timeline.lead_deadline < early
    pn = beef_pn(submitted=early + timedelta(hours=1))
    assert timeline.lead_deadline < pn.submitted_at < BASE_ETA - timedelta(days=1)
    assert not timeline.notified_in_time(pn.submitted_at)


# --- deadlines -----------------------------------------------------------------------------


def test_waiting_statuses_follow_the_deadlines() -> None:
    # BASE_ETA is 06:00 UTC; the deadline one NL working day earlier, before the ETA.
    timeline = Timeline.of(BASE_ETA, None, INDICATORS.bcp("NLRTM", Mode.SEA), INDICATORS.parameters)
    assert timeline.lead_deadline < BASE_ETA
    assert decide_at(line(), now=timeline.lead_deadline - timedelta(minutes=1)).status is (
        S.AWAITING_NOTIFICATION
    )
    assert decide_at(line(), now=timeline.lead_deadline).status is S.OVERDUE
    assert decide_at(line(), now=BASE_ETA + timedelta(hours=5)).status is S.OVERDUE
    assert decide_at(line(), now=BASE_ETA + timedelta(hours=6)).status is S.UNNOTIFIED
    assert decide_at(line(), arrived=True).status is S.UNNOTIFIED


def test_next_deadline_is_the_next_moment_time_alone_changes_the_status() -> None:
    outcome = decide_at(line(), now=BEFORE_DEADLINE)
    timeline = Timeline.of(BASE_ETA, None, INDICATORS.bcp("NLRTM", Mode.SEA), INDICATORS.parameters)
    assert outcome.next_deadline == timeline.lead_deadline
    assert decide_at(line(), arrived=True).next_deadline is None


def test_kings_day_is_no_working_day_and_schiphol_has_four_hours() -> None:
    p = INDICATORS.parameters
    tuesday = datetime(2026, 4, 28, 8, 0, tzinfo=UTC)  # Monday 27 April is King's Day
    deadline = Timeline.of(tuesday, None, INDICATORS.bcp("NLRTM", Mode.SEA), p).lead_deadline
    assert deadline == datetime(2026, 4, 24, 8, 0, tzinfo=UTC)  # the Friday before
    schiphol = Timeline.of(tuesday, None, INDICATORS.bcp("NLSPL", Mode.AIR), p).lead_deadline
    assert schiphol == tuesday - timedelta(hours=4)


# --- feed outage -----------------------------------------------------------------------------


def feed(system: str, *, emergency: bool = False, alive: datetime | None = None) -> FeedStatus:
    return FeedStatus(
        system=system,
        last_record_at=alive,
        last_heartbeat_at=alive,
        emergency=emergency,
        emergency_since=alive if emergency else None,
        at=alive or BASE_ETA,
    )


def test_an_emergency_or_a_silent_feed_degrades_its_regime() -> None:
    p = INDICATORS.parameters
    now = BASE_ETA
    assert set(degraded_feeds([feed("vgc", emergency=True, alive=now)], now, p)) == {Regime.VET}
    silent = feed("client-import", alive=now - timedelta(minutes=61))
    assert set(degraded_feeds([silent], now, p)) == {Regime.PHYTO}
    lively = feed("client-import", alive=now - timedelta(minutes=5))
    assert degraded_feeds([lively], now, p) == {}


def test_no_new_unnotified_during_a_feed_outage_but_an_old_one_stays() -> None:
    outage = {Regime.VET: "vgc emergency procedure"}
    held = decide_at(line(), arrived=True, degraded=outage)
    assert held.status is S.AWAITING_NOTIFICATION
    assert held.reasons[-1].code == "feed_outage"
    kept = decide_at(line(), arrived=True, degraded=outage, previous={Regime.VET: S.UNNOTIFIED})
    assert kept.status is S.UNNOTIFIED
    grapes = decide_at(line(GRAPES), arrived=True, degraded=outage)
    assert grapes.status is S.UNNOTIFIED  # the plant feed is fine


# --- overall, record, data -------------------------------------------------------------------


def test_severity_ranks_every_status_once_unnotified_highest() -> None:
    assert set(SEVERITY) == set(DecisionStatus)
    assert len(set(SEVERITY.values())) == len(SEVERITY)
    assert max(SEVERITY, key=SEVERITY.__getitem__) is S.UNNOTIFIED
    assert SEVERITY[S.REVIEW] > SEVERITY[S.NOTIFIED]


def test_mixed_line_takes_the_most_severe_regime() -> None:
    data = line().model_dump()
    data["goods"].append({**data["goods"][0], "item": 2, "hs_code": GRAPES})
    mixed = ManifestLine.model_validate(data)
    outcome = decide_at(mixed, [beef_pn(net=8_000)], arrived=True)
    statuses = {d.regime: d.status for d in outcome.per_regime}
    assert statuses == {Regime.VET: S.NOTIFIED, Regime.PHYTO: S.UNNOTIFIED}
    assert outcome.status is S.UNNOTIFIED


def test_decision_record_and_substance() -> None:
    outcome = decide_at(line(), arrived=True)
    first = decision_record(line(), frozenset({BOX}), "D", outcome, 1, "v2", BASE_ETA)
    later = decision_record(line(), frozenset({BOX}), "D", outcome, 2, "v2", BEFORE_DEADLINE)
    assert (first.status, first.terminal, first.indicator_set_version) == (
        S.UNNOTIFIED,
        "ECTDELTA",
        "v2",
    )
    assert same_substance(first, later)
    notified = decide_at(line(), [beef_pn()], arrived=True)
    other = decision_record(line(), frozenset({BOX}), "D", notified, 3, "v2", BASE_ETA)
    assert not same_substance(first, other)


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("indicators", 0, "cn_prefix"), "06x1", "cn_prefix"),
        (("indicators", 0, "ched_type"), "CHED-P", "not a phyto CHED type"),
        (("parameters", "review_threshold"), 99, "review_threshold"),
        (("parameters", "feed_silence_minutes"), {"fax": 5}, "unknown feed"),
        (("keywords", 0, "phrase"), "--", "at least one word"),
    ],
)
def test_a_bad_indicator_set_is_refused_with_where_and_why(
    path: tuple[str | int, ...], value: object, needle: str
) -> None:
    document = INDICATORS.document.model_dump(mode="json")
    target: Any = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    with pytest.raises(IndicatorSetError) as err:
        validated(document, "proposed set")
    assert needle in str(err.value)
    assert str(path[0]) in str(err.value)


def test_duplicate_prefixes_are_refused() -> None:
    document = INDICATORS.document.model_dump(mode="json")
    document["indicators"].append(document["indicators"][0])
    with pytest.raises(IndicatorSetError, match="duplicate cn_prefix"):
        validated(document, "proposed set")
