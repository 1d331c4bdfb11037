"""The decision carries the line's goods for the holds service (an optional, additive field):
the matcher fills it from the manifest line; a decision published without it still reads."""

from __future__ import annotations

from matcher_cases import decide_at

from pnm.matcher.domain.matching import decision_record
from pnm.shared.contracts.limits import DESCRIPTION_MAX
from pnm.shared.contracts.records import (
    SUMMARY_DESCRIPTION_MAX,
    Decision,
    GoodsItem,
    GoodsSummary,
    ManifestLine,
)
from pnm.testing.records import BASE_ETA, container, largest_line, manifest_line

BOX = container(1)


def _citrus_and_flowers() -> ManifestLine:
    line = manifest_line("GOODS-1", "1", hs_code="080510", description="oranges", containers=[BOX])
    roses = GoodsItem(item=2, hs_code="060311", description="roses", gross_mass_kg=850.5)
    return line.model_copy(update={"goods": [*line.goods, roses]})


def test_the_decision_record_summarises_the_goods_of_the_line() -> None:
    line = _citrus_and_flowers()
    decided = decision_record(line, frozenset({BOX}), "D", decide_at(line), 1, "v2", BASE_ETA)
    assert decided.goods == [
        GoodsSummary(
            item=1,
            cn_code="080510",
            description="oranges",
            gross_mass_kg=18_000.0,
            packages=1200,
            country_of_origin="AR",
        ),
        # No origin of its own: the line's.
        GoodsSummary(
            item=2,
            cn_code="060311",
            description="roses",
            gross_mass_kg=850.5,
            country_of_origin="AR",
        ),
    ]


def test_a_decision_without_goods_still_validates() -> None:
    line = _citrus_and_flowers()
    decided = decision_record(line, frozenset({BOX}), "D", decide_at(line), 1, "v2", BASE_ETA)
    earlier = decided.model_dump(mode="json")
    del earlier["goods"]
    assert Decision.model_validate(earlier).goods == []


def test_the_summary_of_the_largest_line_keeps_the_decision_small() -> None:
    # Descriptions are cut: the decision of a line at every cap (a selection reason and a goods
    # summary for each of its 999 items) stays below the broker's default 1 MB message size,
    # with room for the envelope (the line itself is the manifest service's concern).
    line = _citrus_and_flowers()
    item = GoodsItem(item=1, hs_code="080510", description="x" * DESCRIPTION_MAX, gross_mass_kg=1)
    largest = largest_line(line, item)
    decided = decision_record(largest, frozenset({BOX}), "D", decide_at(largest), 1, "v2", BASE_ETA)
    assert {len(g.description) for g in decided.goods} == {SUMMARY_DESCRIPTION_MAX}
    assert len(decided.model_dump_json()) < 900 * 1024
