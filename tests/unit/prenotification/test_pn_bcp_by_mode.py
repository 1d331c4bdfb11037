"""Issue 16: the pre-notification service names BCPs from the project's one BCP table, by code
and mode: TRACES codes and aliases are accepted, NLAMS by air is Schiphol."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.domain.validation import validate
from pnm.shared.contracts.records import ChedType, Mode, PreNotification
from pnm.testing.records import container, prenotification

ARRIVAL = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
NOW = ARRIVAL - timedelta(days=2)


def live_birds(**update: Any) -> PreNotification:
    record = prenotification(
        "CHEDA.NL.2026.0000077",
        ched_type=ChedType.CHED_A,
        cn_code="010619",
        description="Live birds",
        containers=[container(100001)],
        expected_arrival=ARRIVAL,
    )
    return record.model_copy(update={"system": "traces", "vessel_imo": None, **update})


def bcp_issues(record: PreNotification) -> list[tuple[str, str]]:
    issues = validate(record, shipped_reference_data(), NOW)
    return [(i.rule, i.severity) for i in issues if i.field == "bcp"]


@pytest.mark.parametrize("code", ["NLAMS4", "NLSPL", "AMS", "nlams4", "NLMST4", "MST"])
def test_traces_codes_and_aliases_of_the_airports_are_accepted(code: str) -> None:
    assert bcp_issues(live_birds(bcp=code, mode=Mode.AIR)) == []


def test_live_animals_notified_at_nlams_by_air_enter_at_schiphol() -> None:
    assert bcp_issues(live_birds(bcp="NLAMS", mode=Mode.AIR)) == []


def test_nlams_by_sea_or_without_a_mode_is_the_seaport_not_designated_for_live_animals() -> None:
    for mode in (Mode.SEA, None):
        assert bcp_issues(live_birds(bcp="NLAMS", mode=mode)) == [("bcp.not_designated", "error")]


def test_a_code_named_with_another_mode_is_the_bcp_it_names() -> None:
    # The code is what the party chose; the mode may be that of another leg.
    assert bcp_issues(live_birds(bcp="NLSPL", mode=Mode.SEA)) == []


def test_an_unknown_code_is_refused_naming_field_value_and_rule() -> None:
    issues = validate(live_birds(bcp="NLAMS2", mode=Mode.AIR), shipped_reference_data(), NOW)
    (issue,) = [i for i in issues if i.field == "bcp"]
    assert (issue.rule, issue.value, issue.severity) == ("bcp.unknown", "NLAMS2", "error")
    assert "Amsterdam Schiphol (NLAMS4)" in issue.message
