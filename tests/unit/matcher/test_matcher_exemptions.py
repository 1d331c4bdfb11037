"""Exemption rules (docs/architecture.md, "The matcher's stages", stage 3), each from the
shipped indicator set, each with its legal source on the decision."""

from __future__ import annotations

import pytest
from matcher_cases import INDICATORS, decide_at

from pnm.matcher.adapters.indicator_data import validated
from pnm.matcher.domain.indicators import IndicatorSetError
from pnm.shared.contracts.records import DecisionStatus, GoodsItem, ManifestLine, Procedure, Regime
from pnm.testing.records import container, manifest_line


def line(
    hs_code: str, *, origin: str = "AR", procedure: Procedure = Procedure.IMPORT
) -> ManifestLine:
    return manifest_line(
        "EX-1",
        "1",
        hs_code=hs_code,
        description="goods",
        containers=[container(1)],
        origin=origin,
        procedure=procedure,
    )


def exempted(record: ManifestLine) -> dict[Regime, str]:
    outcome = decide_at(record, arrived=True)
    return {
        d.regime: next(r.code for r in d.reasons if r.code.startswith("exempt."))
        for d in outcome.per_regime
        if d.status is DecisionStatus.EXEMPT
    }


def test_plants_in_transit_or_transhipment_are_exempt_seed_001_5_3() -> None:
    for procedure in (Procedure.TRANSIT, Procedure.TRANSHIPMENT):
        outcome = decide_at(line("080610", procedure=procedure), arrived=True)
        assert outcome.status is DecisionStatus.EXEMPT
        reason = outcome.per_regime[0].reasons[-1]
        assert reason.code == "exempt.plants_not_for_eu"
        assert "20.04.00 §5.3" in reason.text
    assert exempted(line("080610", procedure=Procedure.WAREHOUSE)) == {}


def test_veterinary_transit_is_not_exempted_by_the_plant_rule() -> None:
    assert decide_at(line("020130", procedure=Procedure.TRANSIT), arrived=True).status is (
        DecisionStatus.UNNOTIFIED
    )


@pytest.mark.parametrize("origin", ["NO", "IS", "CH", "LI"])
def test_veterinary_goods_from_bilateral_partners_are_exempt_seed_004_5_3(origin: str) -> None:
    assert exempted(line("020130", origin=origin)) == {
        Regime.VET: "exempt.bilateral_veterinary_agreement"
    }
    assert exempted(line("080610", origin=origin)) == {}  # plants from there still need one


def test_fishery_products_from_faroe_and_greenland_only() -> None:
    assert exempted(line("030389", origin="FO")) == {Regime.VET: "exempt.fishery_products_fo_gl"}
    assert exempted(line("160414", origin="GL")) == {Regime.VET: "exempt.fishery_products_fo_gl"}
    assert exempted(line("020130", origin="GL")) == {}  # beef from Greenland is not fishery


@pytest.mark.parametrize("hs_code", ["08043000", "08011200", "08106000", "08039010", "08041000"])
def test_certificate_exempt_fruits_reg_2019_2072_annex_xi_c(hs_code: str) -> None:
    outcome = decide_at(line(hs_code), arrived=True)
    assert outcome.status is DecisionStatus.EXEMPT
    assert "2019/2072 Annex XI part C" in outcome.per_regime[0].reasons[-1].text


def test_an_exemption_needs_every_goods_item_of_the_regime() -> None:
    bananas_and_grapes = line("08039010").model_copy(
        update={
            "goods": [
                GoodsItem(item=1, hs_code="08039010", description="bananas", gross_mass_kg=1000),
                GoodsItem(item=2, hs_code="08061010", description="grapes", gross_mass_kg=1000),
            ]
        }
    )
    assert decide_at(bananas_and_grapes, arrived=True).status is DecisionStatus.UNNOTIFIED


def test_an_exempt_regime_does_not_hide_another_regime_that_is_unnotified() -> None:
    mixed = line("020130", origin="NO").model_copy(
        update={
            "goods": [
                GoodsItem(item=1, hs_code="02013000", description="beef", gross_mass_kg=1000),
                GoodsItem(item=2, hs_code="06031100", description="roses", gross_mass_kg=100),
            ]
        }
    )
    outcome = decide_at(mixed, arrived=True)
    assert {d.regime: d.status for d in outcome.per_regime} == {
        Regime.VET: DecisionStatus.EXEMPT,
        Regime.PHYTO: DecisionStatus.UNNOTIFIED,
    }
    assert outcome.status is DecisionStatus.UNNOTIFIED


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"procedures": ["smuggling"]}, "procedures"),
        ({"origins": ["Norway"]}, "origins"),
        ({"cn_prefixes": ["03x"]}, "cn_prefixes"),
        ({"origins": [], "cn_prefixes": []}, "no condition"),
        ({"regime": "fish"}, "regime"),
    ],
)
def test_bad_exemption_data_is_refused_naming_the_rule(
    change: dict[str, object], message: str
) -> None:
    document = INDICATORS.document.model_dump(mode="json")
    document["exemptions"][2] |= change
    with pytest.raises(IndicatorSetError, match=r"exemptions\.2") as err:
        validated(document, "indicator set under test")
    assert message in str(err.value)
