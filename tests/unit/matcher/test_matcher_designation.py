"""Stage 2, selection: a border control post must be designated for the category of the goods
(Reg. (EU) 2017/625 art. 59 and 64; live animals only at posts designated for them). Where the
port of discharge is known not to be, the line needs a person, whatever is notified."""

from __future__ import annotations

from datetime import timedelta

from matcher_cases import INDICATORS, decide_at

from pnm.matcher.domain.decision import DecisionOutcome
from pnm.shared.contracts.records import (
    ChedType,
    DecisionStatus,
    ManifestLine,
    Mode,
    PreNotification,
)
from pnm.testing.records import BASE_ETA, container, manifest_line, prenotification

BOX = container(31)


def live_eels(
    port: str = "NLRTM", hs_code: str | None = None, mode: Mode = Mode.SEA
) -> ManifestLine:
    line = manifest_line(
        "M-EELS", "1", hs_code=hs_code, description="Live eels", containers=[BOX],
        port_of_discharge=port,
    )  # fmt: skip
    return line.model_copy(update={"mode": mode})


def eels_notified(bcp: str = "NLRTM", mode: Mode = Mode.SEA) -> list[PreNotification]:
    notice = prenotification(
        "CHEDA.NL.2026.0000001",
        ched_type=ChedType.CHED_A,
        cn_code="0301",
        description="Live eels",
        containers=[BOX],
    )
    return [notice.model_copy(update={"bcp": bcp, "mode": mode})]


def refusals(outcome: DecisionOutcome) -> list[str]:
    return [r.code for r in outcome.reasons if r.code == "bcp_not_designated"]


def test_live_animals_at_a_port_not_designated_for_them_need_review_even_when_notified() -> None:
    rotterdam = INDICATORS.bcp("NLRTM", Mode.SEA)
    assert rotterdam is not None and rotterdam.designation(ChedType.CHED_A) == "no"
    outcome = decide_at(live_eels(), eels_notified())
    assert outcome.status is DecisionStatus.REVIEW
    assert refusals(outcome) == ["bcp_not_designated"]
    assert "Rotterdam (NLRTM1) is not designated for CHED-A" in outcome.reasons[-1].text


def test_at_a_designated_airport_the_same_goods_are_simply_notified() -> None:
    outcome = decide_at(live_eels("NLSPL", mode=Mode.AIR), eels_notified("NLSPL", Mode.AIR))
    assert outcome.status is DecisionStatus.NOTIFIED
    assert refusals(outcome) == []


def test_a_hold_stays_a_hold_and_time_still_counts_under_a_refusal() -> None:
    waiting = decide_at(live_eels("NLRTM", hs_code="030192"))
    assert waiting.status is DecisionStatus.REVIEW
    assert waiting.next_deadline is not None  # awaiting underneath: it may become unnotified
    arrived = decide_at(live_eels("NLRTM", hs_code="030192"), arrived=True)
    assert arrived.status is DecisionStatus.UNNOTIFIED
    assert refusals(arrived) == ["bcp_not_designated"]


def test_a_heading_of_mixed_categories_is_not_refused() -> None:
    # 0511 holds semen and embryos (CHED-A) beside fish waste (CHED-P): not certain enough.
    line = manifest_line(
        "M-0511", "1", hs_code="051191", description="Fish waste", containers=[BOX]
    )
    outcome = decide_at(line, now=BASE_ETA - timedelta(days=5))
    assert refusals(outcome) == []
