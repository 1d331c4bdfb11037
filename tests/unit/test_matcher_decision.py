"""The matcher's pure domain: selection, candidates, arrival and the decision for one line."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnm.cli.scenarios import container, manifest_line
from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.domain.decision import (
    REGIME_OF_CHED,
    SEVERITY,
    Candidate,
    Outcome,
    decide,
    select_regimes,
)
from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetError, parse_indicator_set
from pnm.matcher.domain.matching import (
    ArrivalFacts,
    NotificationKeys,
    candidates_for,
    decision_record,
    has_arrived,
    same_substance,
)
from pnm.shared.contracts.records import (
    ChedType,
    Decision,
    DecisionStatus,
    ManifestLine,
    PreNotificationStatus,
    Regime,
)

S = DecisionStatus
P = PreNotificationStatus
INDICATORS = shipped_indicator_set()

BEEF = "020130"
GRAPES = "080610"
SHIRTS = "610910"
MANIFEST = "M-EMMA-248W"
DECIDED_AT = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def line(hs_code: str | None = BEEF, *, withdrawn: bool = False, version: int = 1) -> ManifestLine:
    return manifest_line(
        MANIFEST,
        "1",
        hs_code=hs_code,
        description="goods",
        containers=[container(1)],
        withdrawn=withdrawn,
        version=version,
    )


def mixed_line(*codes: str | None) -> ManifestLine:
    """One line whose goods items carry the given HS codes."""
    data = line().model_dump()
    item = data["goods"][0]
    data["goods"] = [{**item, "item": n, "hs_code": code} for n, code in enumerate(codes, 1)]
    return ManifestLine.model_validate(data)


def cand(
    reference: str = "CHEDP.NL.2026.0000001",
    ched_type: ChedType = ChedType.CHED_P,
    status: PreNotificationStatus = P.SUBMITTED,
    matched_on: str = "container",
) -> Candidate:
    return Candidate(reference, ched_type, status, matched_on)


# --- selection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hs_code", "regimes"),
    [
        (BEEF, {Regime.VET}),
        ("0201", {Regime.VET}),
        (GRAPES, {Regime.PHYTO}),
        ("08061010", {Regime.PHYTO}),
        (SHIRTS, set()),
        (None, set()),
        ("0210", {Regime.VET}),
        ("0220", set()),  # shares "02" with the meat headings but is no heading of the set
    ],
)
def test_selection_by_cn_prefix(hs_code: str | None, regimes: set[Regime]) -> None:
    assert set(select_regimes(line(hs_code), INDICATORS)) == regimes


def test_selection_reasons_name_the_item_code_and_prefix() -> None:
    reasons = select_regimes(mixed_line(SHIRTS, BEEF), INDICATORS)[Regime.VET]
    assert [r.code for r in reasons] == ["cn_prefix"]
    assert "item 2" in reasons[0].text
    assert BEEF in reasons[0].text
    assert "0201" in reasons[0].text


@pytest.mark.parametrize("hs_code", [SHIRTS, None])
@pytest.mark.parametrize("arrived", [False, True])
def test_goods_without_indicator_are_not_controlled(hs_code: str | None, arrived: bool) -> None:
    outcome = decide(line(hs_code), INDICATORS, [], arrived)
    assert outcome.status is S.NOT_CONTROLLED
    assert outcome.regimes == ()
    assert outcome.per_regime == ()
    assert [r.code for r in outcome.reasons] == ["no_indicator"]


# --- decision per regime -------------------------------------------------------------------


@pytest.mark.parametrize("status", [P.SUBMITTED, P.VALIDATED])
@pytest.mark.parametrize("arrived", [False, True])
def test_notified_when_an_active_candidate_of_the_right_regime_exists(
    status: PreNotificationStatus, arrived: bool
) -> None:
    outcome = decide(line(BEEF), INDICATORS, [cand(status=status)], arrived)
    assert outcome.status is S.NOTIFIED
    assert outcome.regimes == (Regime.VET,)
    assert outcome.references == ("CHEDP.NL.2026.0000001",)
    assert outcome.reasons[-1].code == "matched"
    assert "container" in outcome.reasons[-1].text


def test_awaiting_notification_before_arrival() -> None:
    outcome = decide(line(BEEF), INDICATORS, [], arrived=False)
    assert outcome.status is S.AWAITING_NOTIFICATION
    assert outcome.references == ()


def test_unnotified_after_arrival_without_candidate() -> None:
    outcome = decide(line(BEEF), INDICATORS, [], arrived=True)
    assert outcome.status is S.UNNOTIFIED
    assert outcome.references == ()
    assert outcome.reasons[-1].code == "arrived_unnotified"


@pytest.mark.parametrize("status", [P.CANCELLED, P.REJECTED, P.REPLACED])
def test_invalid_notification_when_only_inactive_candidates_and_arrived(
    status: PreNotificationStatus,
) -> None:
    outcome = decide(line(BEEF), INDICATORS, [cand(status=status)], arrived=True)
    assert outcome.status is S.INVALID_NOTIFICATION
    assert outcome.references == ("CHEDP.NL.2026.0000001",)
    assert outcome.reasons[-1].code == "no_valid_notification"


def test_only_inactive_candidates_before_arrival_is_still_awaiting() -> None:
    outcome = decide(line(BEEF), INDICATORS, [cand(status=P.CANCELLED)], arrived=False)
    assert outcome.status is S.AWAITING_NOTIFICATION


def test_an_active_candidate_wins_over_cancelled_ones() -> None:
    candidates = [
        cand("CHEDP.OLD", status=P.REPLACED),
        cand("CHEDP.NEW", status=P.VALIDATED, matched_on="transport_document"),
    ]
    outcome = decide(line(BEEF), INDICATORS, candidates, arrived=True)
    assert outcome.status is S.NOTIFIED
    assert outcome.references == ("CHEDP.NEW",)
    assert "transport_document" in outcome.reasons[-1].text


def test_a_ched_pp_does_not_cover_beef() -> None:
    candidates = [cand("CHEDPP.NL.1", ChedType.CHED_PP)]
    assert decide(line(BEEF), INDICATORS, candidates, arrived=True).status is S.UNNOTIFIED
    assert decide(line(BEEF), INDICATORS, candidates, arrived=False).status is (
        S.AWAITING_NOTIFICATION
    )


def test_a_ched_p_does_not_cover_grapes() -> None:
    outcome = decide(line(GRAPES), INDICATORS, [cand(ched_type=ChedType.CHED_P)], arrived=True)
    assert outcome.status is S.UNNOTIFIED


@pytest.mark.parametrize(
    ("ched_type", "regime"),
    [
        (ChedType.CHED_PP, Regime.PHYTO),
        (ChedType.CHED_P, Regime.VET),
        (ChedType.CHED_A, Regime.VET),
        (ChedType.CHED_D, Regime.VET),
    ],
)
def test_regime_of_each_ched_type(ched_type: ChedType, regime: Regime) -> None:
    assert cand(ched_type=ched_type).regime is regime


def test_every_ched_type_has_a_regime() -> None:
    assert set(REGIME_OF_CHED) == set(ChedType)


@pytest.mark.parametrize("arrived", [False, True])
def test_withdrawn_line_is_not_controlled(arrived: bool) -> None:
    outcome = decide(line(BEEF, withdrawn=True), INDICATORS, [], arrived)
    assert outcome.status is S.NOT_CONTROLLED
    assert outcome.regimes == ()
    assert [r.code for r in outcome.reasons] == ["line_withdrawn"]


def test_overall_status_is_the_most_severe_across_regimes() -> None:
    candidates = [cand("CHEDPP.NL.2026.0000001", ChedType.CHED_PP)]
    outcome = decide(mixed_line(BEEF, GRAPES), INDICATORS, candidates, arrived=True)
    assert outcome.status is S.UNNOTIFIED
    assert outcome.regimes == (Regime.PHYTO, Regime.VET)
    per_regime = {d.regime: d for d in outcome.per_regime}
    assert per_regime[Regime.PHYTO].status is S.NOTIFIED
    assert per_regime[Regime.PHYTO].references == ["CHEDPP.NL.2026.0000001"]
    assert per_regime[Regime.VET].status is S.UNNOTIFIED
    assert per_regime[Regime.VET].references == []
    assert outcome.references == ("CHEDPP.NL.2026.0000001",)


def test_both_regimes_notified_collects_both_references() -> None:
    candidates = [cand("B", ChedType.CHED_PP), cand("A", ChedType.CHED_P)]
    outcome = decide(mixed_line(BEEF, GRAPES), INDICATORS, candidates, arrived=True)
    assert outcome.status is S.NOTIFIED
    assert outcome.references == ("A", "B")


def test_severity_covers_every_status_with_distinct_ranks() -> None:
    assert set(SEVERITY) == set(DecisionStatus)
    assert len(set(SEVERITY.values())) == len(SEVERITY)


@pytest.mark.parametrize(
    ("less", "more"),
    [
        (S.NOT_CONTROLLED, S.NOTIFIED),
        (S.NOTIFIED, S.AWAITING_NOTIFICATION),
        (S.AWAITING_NOTIFICATION, S.INVALID_NOTIFICATION),
        (S.INVALID_NOTIFICATION, S.UNNOTIFIED),
    ],
)
def test_severity_order(less: DecisionStatus, more: DecisionStatus) -> None:
    assert SEVERITY[less] < SEVERITY[more]


def test_unnotified_is_the_most_severe_and_not_controlled_the_least() -> None:
    assert max(SEVERITY, key=SEVERITY.__getitem__) is S.UNNOTIFIED
    assert min(SEVERITY, key=SEVERITY.__getitem__) is S.NOT_CONTROLLED


# --- candidates and arrival ------------------------------------------------------------------


def keys(
    reference: str,
    containers: Iterable[str] = (),
    transport_document: str | None = None,
    status: PreNotificationStatus = P.SUBMITTED,
) -> NotificationKeys:
    return NotificationKeys(
        reference, ChedType.CHED_P, status, frozenset(containers), transport_document
    )


def test_candidates_for_matches_on_container_or_transport_document() -> None:
    notifications = [
        keys("BY-CONTAINER", {"AAAU1111111", "BBBU2222222"}),
        keys("BY-DOCUMENT", transport_document="MAEU123"),
        keys("BOTH", {"AAAU1111111"}, "MAEU123"),
        keys("OTHER-CONTAINER", {"CCCU3333333"}),
        keys("OTHER-DOCUMENT", transport_document="MAEU999"),
        keys("NOTHING"),
    ]
    found = candidates_for(frozenset({"AAAU1111111"}), "MAEU123", notifications)
    assert {c.reference: c.matched_on for c in found} == {
        "BY-CONTAINER": "container",
        "BY-DOCUMENT": "transport_document",
        "BOTH": "container",
    }


def test_candidates_keep_type_and_status() -> None:
    found = candidates_for(
        frozenset({"AAAU1111111"}), "X", [keys("R", {"AAAU1111111"}, status=P.CANCELLED)]
    )
    assert found == [Candidate("R", ChedType.CHED_P, P.CANCELLED, "container")]


def test_an_empty_transport_document_matches_nothing() -> None:
    notifications = [keys("EMPTY", transport_document=""), keys("NONE")]
    assert candidates_for(frozenset(), "", notifications) == []


def test_has_arrived_whole_vessel() -> None:
    arrivals = [ArrivalFacts(MANIFEST, None)]
    assert has_arrived(MANIFEST, frozenset({"AAAU1111111"}), arrivals)
    assert has_arrived(MANIFEST, frozenset(), arrivals)
    assert not has_arrived("ANOTHER", frozenset({"AAAU1111111"}), arrivals)


def test_has_arrived_partial_container_arrival() -> None:
    arrivals = [ArrivalFacts(MANIFEST, frozenset({"AAAU1111111"}))]
    assert has_arrived(MANIFEST, frozenset({"AAAU1111111", "BBBU2222222"}), arrivals)
    assert not has_arrived(MANIFEST, frozenset({"BBBU2222222"}), arrivals)
    assert not has_arrived(MANIFEST, frozenset(), arrivals)
    assert not has_arrived("ANOTHER", frozenset({"AAAU1111111"}), arrivals)


def test_has_arrived_without_arrivals() -> None:
    assert not has_arrived(MANIFEST, frozenset({"AAAU1111111"}), [])


# --- decision records --------------------------------------------------------------------------


def record(outcome: Outcome, *, number: int = 1, version: int = 1, minutes: int = 0) -> Decision:
    return decision_record(
        line(BEEF, version=version),
        frozenset({container(1)}),
        "MAEU123",
        outcome,
        number,
        INDICATORS.version,
        DECIDED_AT + timedelta(minutes=minutes),
    )


def test_decision_record_carries_the_line_and_outcome() -> None:
    outcome = decide(line(BEEF), INDICATORS, [], arrived=True)
    decision = record(outcome, number=3)
    assert (decision.manifest_id, decision.line_id, decision.decision_number) == (MANIFEST, "1", 3)
    assert decision.status is S.UNNOTIFIED
    assert decision.regimes == [Regime.VET]
    assert decision.terminal == "ECTDELTA"
    assert decision.containers == [container(1)]
    assert decision.indicator_set_version == "v1"


def test_same_substance_ignores_number_time_and_line_version() -> None:
    outcome = decide(line(BEEF), INDICATORS, [], arrived=True)
    first = record(outcome, number=1, version=1, minutes=0)
    later = record(outcome, number=2, version=2, minutes=30)
    assert first != later
    assert same_substance(first, later)


def test_same_substance_sees_a_status_change() -> None:
    before = record(decide(line(BEEF), INDICATORS, [], arrived=False))
    after = record(decide(line(BEEF), INDICATORS, [], arrived=True))
    assert not same_substance(before, after)


def test_same_substance_sees_a_reference_change() -> None:
    a = record(decide(line(BEEF), INDICATORS, [cand("A")], arrived=True))
    b = record(decide(line(BEEF), INDICATORS, [cand("B")], arrived=True))
    assert a.status is b.status
    assert not same_substance(a, b)


# --- indicator sets --------------------------------------------------------------------------

HEADER = "regime,cn_prefix,ched_type,coverage,description,legal_source\n"
GOOD_ROW = "vet,0201,CHED-P,all,Beef,Reg\n"


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("vet,02A1,CHED-P,all,Beef,Reg\n", "02A1"),
        ("vet,2,CHED-P,all,Beef,Reg\n", "cn_prefix"),
        ("vet,02011234567,CHED-P,all,Beef,Reg\n", "cn_prefix"),
        ("plants,0201,CHED-P,all,Beef,Reg\n", "plants"),
        ("vet,0201,CHED-X,all,Beef,Reg\n", "CHED-X"),
    ],
)
def test_indicator_set_row_errors_name_the_row(row: str, needle: str) -> None:
    with pytest.raises(IndicatorSetError) as error:
        parse_indicator_set(HEADER + GOOD_ROW + row, "vT")
    message = str(error.value)
    assert "row 3" in message
    assert "vT" in message
    assert needle in message


def test_indicator_set_missing_column() -> None:
    text = "regime,cn_prefix,ched_type\nvet,0201,CHED-P\n"
    with pytest.raises(IndicatorSetError, match="row 2"):
        parse_indicator_set(text, "vT")


@pytest.mark.parametrize("text", ["", HEADER])
def test_empty_indicator_set(text: str) -> None:
    with pytest.raises(IndicatorSetError, match="empty"):
        parse_indicator_set(text, "vT")


def test_a_good_indicator_set_parses() -> None:
    parsed = parse_indicator_set(HEADER + GOOD_ROW + "phyto, 0806 ,CHED-PP,all,Grapes,Reg\n", "v9")
    assert parsed.version == "v9"
    assert [(i.regime, i.cn_prefix, i.ched_type) for i in parsed.indicators] == [
        (Regime.VET, "0201", ChedType.CHED_P),
        (Regime.PHYTO, "0806", ChedType.CHED_PP),
    ]


def test_the_shipped_set_loads_and_covers_beef_and_grapes() -> None:
    shipped = shipped_indicator_set()
    assert shipped.version == "v1"
    by_prefix = {i.cn_prefix: i for i in shipped.indicators}
    assert by_prefix["0201"].regime is Regime.VET
    assert by_prefix["0201"].ched_type is ChedType.CHED_P
    assert by_prefix["0806"].regime is Regime.PHYTO
    assert by_prefix["0806"].ched_type is ChedType.CHED_PP
    assert all(i.coverage in {"all", "partial"} for i in shipped.indicators)


def test_matching_with_no_code_is_empty() -> None:
    assert INDICATORS.matching(None) == []
    assert INDICATORS.matching("") == []
    assert IndicatorSet("v0", ()).matching(BEEF) == []


# --- properties ----------------------------------------------------------------------------------

CANDIDATES = st.lists(
    st.builds(
        Candidate,
        reference=st.sampled_from(["R1", "R2", "R3", "R4"]),
        ched_type=st.sampled_from(ChedType),
        status=st.sampled_from(PreNotificationStatus),
        matched_on=st.sampled_from(["container", "transport_document"]),
    ),
    max_size=6,
)
LINES = st.sampled_from(
    [line(BEEF), line(GRAPES), line(SHIRTS), mixed_line(BEEF, GRAPES), mixed_line(GRAPES, BEEF)]
)


@settings(max_examples=75, deadline=None)
@given(line=LINES, candidates=CANDIDATES, arrived=st.booleans(), data=st.data())
def test_decide_does_not_depend_on_candidate_order(
    line: ManifestLine, candidates: list[Candidate], arrived: bool, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(candidates))
    assert decide(line, INDICATORS, shuffled, arrived) == decide(
        line, INDICATORS, candidates, arrived
    )


@settings(max_examples=75, deadline=None)
@given(line=LINES, candidates=CANDIDATES, arrived=st.booleans())
def test_overall_status_is_the_maximum_of_the_regimes(
    line: ManifestLine, candidates: list[Candidate], arrived: bool
) -> None:
    outcome = decide(line, INDICATORS, candidates, arrived)
    if outcome.per_regime:
        assert SEVERITY[outcome.status] == max(SEVERITY[d.status] for d in outcome.per_regime)
        assert set(outcome.references) == {r for d in outcome.per_regime for r in d.references}
    else:
        assert outcome.status is S.NOT_CONTROLLED
