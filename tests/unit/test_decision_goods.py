"""The decision carries the line's goods for the holds service (an optional, additive field):
the matcher fills it from the manifest line; a decision published without it still reads."""

from __future__ import annotations

from matcher_cases import decide_at

from pnm.cli.scenarios import BASE_ETA, container, manifest_line
from pnm.matcher.domain.matching import decision_record
from pnm.shared.contracts.records import Decision, GoodsItem, GoodsSummary, ManifestLine

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
