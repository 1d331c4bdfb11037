"""Issue 16: an indicator set has no BCP table of its own; it names the version of the project's
one table (`bcp_table`). A set stored with the old `bcps` list still loads while the list says
what the table says; one that differs, or names an unknown table, is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from pnm.matcher.adapters.indicator_data import shipped_indicator_set
from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetDocument
from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.shared.contracts.records import Mode

OLD_BCPS: list[dict[str, Any]] = [
    {
        "code": "NLRTM",
        "name": "Rotterdam",
        "kind": "port",
        "aliases": ["NLRTM1"],
        "designated": {"CHED-PP": "yes", "CHED-P": "yes", "CHED-A": "no", "CHED-D": "yes"},
    },
    {
        "code": "NLSPL",
        "name": "Amsterdam Schiphol",
        "kind": "airport",
        "aliases": ["NLAMS4"],
        "designated": {"CHED-PP": "yes", "CHED-P": "yes", "CHED-A": "yes", "CHED-D": "yes"},
        "derogation_hours": 4,
    },
]


def document(**update: Any) -> dict[str, Any]:
    raw = shipped_indicator_set().document.model_dump(mode="json")
    raw.pop("bcps")
    return {**raw, "version": "t-bcps", **update}


def test_the_shipped_set_decides_with_the_shipped_bcp_table() -> None:
    shipped = shipped_indicator_set()
    assert shipped.document.bcps == []
    assert shipped.bcps.version == shipped.document.bcp_table == "v1"
    schiphol = shipped.bcp("NLAMS", Mode.AIR)
    assert schiphol is not None and schiphol.code == "NLAMS4"


def test_both_services_read_the_same_table() -> None:
    assert shipped_indicator_set().bcps is shipped_reference_data().bcps


def test_a_stored_set_whose_bcps_agree_with_the_table_still_loads() -> None:
    loaded = IndicatorSet(IndicatorSetDocument.model_validate(document(bcps=OLD_BCPS)))
    rotterdam = loaded.bcp("NLRTM", Mode.SEA)
    assert rotterdam is not None and rotterdam.wood_working_days == 5, "the table decides"


def test_bcps_that_differ_from_the_table_are_refused() -> None:
    live_at_rotterdam = {
        **OLD_BCPS[0],
        "designated": {**OLD_BCPS[0]["designated"], "CHED-A": "yes"},
    }
    with pytest.raises(ValidationError) as err:
        IndicatorSetDocument.model_validate(document(bcps=[live_at_rotterdam]))
    assert "bcps differ from BCP table v1: NLRTM CHED-A yes (table: no)" in str(err.value)


@pytest.mark.parametrize(
    ("update", "says"),
    [
        ({"bcp_table": "v9"}, "no BCP table 'v9'"),
        ({"bcps": [{**OLD_BCPS[0], "code": "NLXXX", "aliases": []}]}, "NLXXX is not in BCP table"),
        ({"bcps": [{**OLD_BCPS[0], "code": "NL-RTM"}]}, "bcps.0.code"),
        ({"bcps": [OLD_BCPS[0], OLD_BCPS[0]]}, "duplicate bcp code or alias"),
    ],
)
def test_refused_as_before_or_for_an_unknown_table(update: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError) as err:
        IndicatorSetDocument.model_validate(document(**update))
    assert says in str(err.value)
