"""The line beside its candidates (marks in words) and the explanation split per candidate."""

from __future__ import annotations

from typing import Any

from pnm.console.domain.comparison import Mark, side_by_side
from pnm.console.domain.explanation import scored_candidates
from pnm.shared.contracts.records import ChedType
from pnm.testing.records import container, manifest_line, prenotification

GRAPES, OTHER = container(900001), container(900002)


def line(**changes: Any) -> dict[str, Any]:
    record = manifest_line(
        "M-CMP",
        "1",
        hs_code="080610",
        description="Fresh table grapes",
        containers=[GRAPES],
        bill_of_lading="MAEU123456789",
    ).model_dump(mode="json")
    return record | changes


def notice(**changes: Any) -> dict[str, Any]:
    record = prenotification(
        "CHEDPP.NL.2026.0900001",
        ched_type=ChedType.CHED_PP,
        cn_code="08061010",
        description="Table grapes, fresh",
        containers=[GRAPES],
        transport_document="MAEU-123456789",
    ).model_dump(mode="json")
    return record | changes


def marks(rows: list[Any], column: int = 0) -> dict[str, Mark]:
    return {r.field: r.candidates[column].mark for r in rows}


def test_a_faithful_notification_is_the_same_where_it_counts() -> None:
    found = marks(side_by_side(line(), [notice()]))
    assert found["containers"] is Mark.SAME
    assert found["transport_document"] is Mark.SAME  # hyphen and case do not count
    assert found["codes"] is Mark.SAME  # HS 080610 begins CN 08061010
    assert found["description"] is Mark.SAME  # the same words in another order
    assert found["importer"] is Mark.SAME
    assert found["arrival"] is Mark.SAME
    assert found["mass"] is Mark.SHOWN  # gross against net: shown, not judged


def test_differences_are_marked_per_candidate() -> None:
    other = notice(
        containers=[GRAPES, OTHER],
        expected_arrival="2026-12-20T06:00:00Z",
        bcp="NLAMS",
        commodities=[{"cn_code": "02013000", "description": "Frozen beef", "net_mass_kg": 1.0}],
        transport_document=None,
    )
    rows = side_by_side(line(), [notice(), other])
    first, second = marks(rows, 0), marks(rows, 1)
    assert first["containers"] is Mark.SAME and second["containers"] is Mark.PARTLY
    assert second["arrival"] is Mark.DIFFERS
    assert second["bcp"] is Mark.DIFFERS
    assert second["codes"] is Mark.DIFFERS
    assert second["transport_document"] is Mark.ABSENT
    by_field = {r.field: r for r in rows}
    assert by_field["bcp"].differs and not by_field["consignor"].differs
    assert by_field["mass"].line == "18,000 kg"
    assert by_field["mass"].candidates[1].text == "1 kg"


def test_a_field_neither_gives_is_only_shown() -> None:
    found = marks(side_by_side(line(), [notice()]))
    assert found["flight"] is Mark.SHOWN


def test_no_candidates_still_shows_the_line() -> None:
    rows = side_by_side(line(), [])
    assert {r.field: r.line for r in rows}["containers"] == GRAPES
    assert all(r.candidates == [] for r in rows)


def test_the_explanation_splits_at_each_candidate() -> None:
    explanation = [
        {"field": "candidate", "level": "phyto CHEDPP.NL.2026.0000001", "weight": 12.5},
        {"field": "container", "level": "exact", "weight": 8.0},
        {"field": "bcp", "level": "differ", "weight": -2.0},
        {"field": "candidate", "level": "vet CHEDP.NL.2026.0000002", "weight": 3.0},
        {"field": "name", "level": "exact", "weight": 3.0},
    ]
    first, second = scored_candidates(explanation)
    assert (first.regime, first.reference, first.recorded_total) == (
        "phyto",
        "CHEDPP.NL.2026.0000001",
        12.5,
    )
    assert first.bars() == [("container exact", 8.0), ("bcp differ", -2.0)]
    assert (second.regime, second.reference) == ("vet", "CHEDP.NL.2026.0000002")
    assert second.bars() == [("name exact", 3.0)]


def test_an_explanation_without_candidate_rows_is_kept() -> None:
    [only] = scored_candidates([{"field": "container", "level": "exact", "weight": 8.0}])
    assert (only.reference, only.recorded_total, only.bars()) == (
        "",
        None,
        [("container exact", 8)],
    )
    assert scored_candidates([]) == []
