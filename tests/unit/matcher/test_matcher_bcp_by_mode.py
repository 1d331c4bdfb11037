"""Issue 16: the matcher resolves a line's BCP by its port of discharge and its transport mode,
from the project's one BCP table, and applies the lead-time rules the pre-notification service
applies (the wood rule included)."""

from __future__ import annotations

from datetime import datetime

import pytest
from matcher_cases import INDICATORS, decide_at

from pnm.matcher.domain.facts import LineFacts, NotificationFacts
from pnm.matcher.domain.scoring import consignment_levels
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.domain.lead_time import lead_time
from pnm.shared.calendar import working_days_before
from pnm.shared.contracts.records import (
    ChedType,
    DecisionStatus,
    ManifestLine,
    Mode,
    PreNotification,
)
from pnm.testing.records import BASE_ETA, container, manifest_line, prenotification

BOX = container(41)


def flown_in(port: str, mode: Mode = Mode.AIR) -> ManifestLine:
    line = manifest_line("M-LIVE", "1", hs_code="010619", description="Live birds", containers=[])
    return line.model_copy(
        update={"port_of_discharge": port, "mode": mode, "flight_number": "KL0592"}
    )


def live_birds_notified(bcp: str, mode: Mode = Mode.AIR) -> list[PreNotification]:
    notice = prenotification(
        "CHEDA.NL.2026.0000007",
        ched_type=ChedType.CHED_A,
        cn_code="010619",
        description="Live birds",
        containers=[],
    )
    line = flown_in("NLAMS")
    update = {
        "bcp": bcp,
        "mode": mode,
        "flight_number": "KL0592",
        "vessel_imo": None,
        "transport_document": line.transport_document.number,
    }
    return [notice.model_copy(update=update)]


def refused(codes: list[str]) -> bool:
    return "bcp_not_designated" in codes


def test_live_animals_flown_into_nlams_enter_at_schiphol_not_the_seaport() -> None:
    for notified_as in ("NLAMS4", "NLAMS", "NLSPL"):
        outcome = decide_at(flown_in("NLAMS"), live_birds_notified(notified_as))
        assert not refused([r.code for r in outcome.reasons]), notified_as
        assert outcome.status is DecisionStatus.NOTIFIED, notified_as


def test_live_animals_shipped_into_the_port_of_amsterdam_are_still_refused() -> None:
    outcome = decide_at(flown_in("NLAMS", Mode.SEA), live_birds_notified("NLAMS", Mode.SEA))
    assert outcome.status is DecisionStatus.REVIEW
    assert refused([r.code for r in outcome.reasons])
    assert "Amsterdam (NLAMS1) is not designated for CHED-A" in outcome.reasons[-1].text


def sawn_wood(submitted_at: datetime) -> tuple[ManifestLine, list[PreNotification]]:
    line = manifest_line(
        "M-WOOD", "1", hs_code="440711", description="Sawn pine wood", containers=[BOX]
    )
    notice = prenotification(
        "CHEDPP.NL.2026.0000009",
        ched_type=ChedType.CHED_PP,
        cn_code="44071190",
        description="Sawn pine wood",
        containers=[BOX],
        submitted_at=submitted_at,
    )
    return line, [notice]


def test_wood_notified_two_working_days_ahead_at_rotterdam_is_late_in_the_matcher_too() -> None:
    line, notices = sawn_wood(working_days_before(BASE_ETA, 2))
    (notice,) = notices
    at_intake = lead_time(notice, shipped_reference_data().bcps.named(notice.bcp, notice.mode))
    assert (at_intake.on_time, at_intake.rule) == (False, "wood_working_days")
    outcome = decide_at(line, notices, arrived=True)
    assert outcome.status is DecisionStatus.NOTIFIED_LATE
    assert "5 NL working days before arrival (wood at NLRTM1)" in outcome.reasons[-1].text


def test_wood_notified_five_working_days_ahead_is_in_time() -> None:
    line, notices = sawn_wood(working_days_before(BASE_ETA, 5))
    assert decide_at(line, notices, arrived=True).status is DecisionStatus.NOTIFIED


@pytest.mark.parametrize(
    ("port", "line_mode", "notified", "notified_mode", "level"),
    [
        ("NLAMS", Mode.AIR, "NLSPL", Mode.AIR, "same"),
        ("NLAMS", Mode.AIR, "NLAMS4", None, "same"),
        ("NLAMS", Mode.AIR, "NLAMS", None, "same"),  # without a mode: port or airport
        ("NLAMS", Mode.AIR, "NLAMS", Mode.SEA, "differ"),  # notified at the seaport
        ("NLAMS", Mode.SEA, "NLAMS4", None, "differ"),  # notified at Schiphol
        ("NLAMS", Mode.SEA, "NLAMS1", Mode.SEA, "same"),
        ("NLRTM", Mode.AIR, "NLRTM", Mode.AIR, "same"),  # no BCP: the LOCODEs agree
        ("NLRTM", Mode.SEA, "DEHAM", Mode.SEA, "differ"),
    ],
)
def test_the_bcp_comparison_is_by_bcp_not_by_locode(
    port: str, line_mode: Mode, notified: str, notified_mode: Mode | None, level: str
) -> None:
    line = flown_in(port, line_mode)
    (notice,) = live_birds_notified(notified, Mode.AIR)
    facts = NotificationFacts.of(notice.model_copy(update={"mode": notified_mode}))
    levels = consignment_levels(LineFacts.of(line), line.eta, port, facts, INDICATORS)
    assert ("bcp", level) in levels
