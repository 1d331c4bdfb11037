"""Selection by description through goods recognition (docs/goods-recognition.md): a confident
reading selects the regime as an HS code would, an uncertain one sends the line to `review`
(never a hold on a guess), a confident innocent reading selects nothing; the vocabulary that
decided is named in the set and in every reason."""

from __future__ import annotations

import pytest
from matcher_cases import INDICATORS, decide_at

from pnm.matcher.adapters.indicator_data import validated
from pnm.matcher.domain.goods_text import vocabulary
from pnm.matcher.domain.indicators import IndicatorSet, IndicatorSetError
from pnm.matcher.domain.matching import decision_record
from pnm.matcher.domain.selection import select_regimes
from pnm.shared.contracts.limits import DESCRIPTION_MAX
from pnm.shared.contracts.records import DecisionStatus, GoodsItem, ManifestLine, Regime
from pnm.testing.records import BASE_ETA, container, largest_line, manifest_line


def described(description: str, hs_code: str | None = None) -> ManifestLine:
    return manifest_line(
        "M-TEXT", "1", hs_code=hs_code, description=description, containers=[container(1)]
    )


@pytest.mark.parametrize(
    ("description", "regimes"),
    [
        # Missed by the 28 English keywords.
        ("CHILLED LAMB CARCASSES", {Regime.VET}),
        ("FRESH ASPARAGUS", {Regime.PHYTO}),
        ("gekoelde lamskarkassen", {Regime.VET}),
        ("Schweinefleisch gefroren", {Regime.VET}),
        ("crevettes congelées", {Regime.VET}),
        ("naranjas frescas", {Regime.PHYTO}),
        ("HLSO VANNAMEI IQF 31/40", {Regime.VET}),
        # Held by them: words that sound like food on goods that are not.
        ("chicken wire", set()),
        ("meat grinder", set()),
        ("rose oil", set()),
    ],
)
def test_goods_without_a_code_are_selected_by_what_their_words_name(
    description: str, regimes: set[Regime]
) -> None:
    assert set(select_regimes(described(description), INDICATORS)) == regimes


def test_a_heading_only_code_leaves_it_to_the_words_too() -> None:
    assert set(select_regimes(described("FRESH ASPARAGUS", "9999"), INDICATORS)) == {Regime.PHYTO}


def test_the_reason_names_the_words_the_heading_and_the_vocabulary() -> None:
    [reason] = select_regimes(described("CHILLED LAMB CARCASSES"), INDICATORS)[Regime.VET].reasons
    assert (reason.code, reason.indicator) == ("goods_text", "goods:0204")
    assert "heading 0204" in reason.text
    assert all(w in reason.text for w in ("'chilled'", "'lamb'", "'carcasses'"))
    assert vocabulary().version in reason.text
    assert INDICATORS.parameters.goods_vocabulary == vocabulary().version


def test_a_confident_reading_holds_like_a_code() -> None:
    outcome = decide_at(described("CHILLED LAMB CARCASSES"), arrived=True)
    assert outcome.status is DecisionStatus.UNNOTIFIED


def test_an_uncertain_reading_goes_to_review_never_to_a_hold() -> None:
    outcome = decide_at(described("UHT milk"), arrived=True)
    assert outcome.status is DecisionStatus.REVIEW
    assert [r.code for r in outcome.reasons][:1] == ["goods_uncertain"]


def test_how_sure_a_reading_must_be_is_data() -> None:
    trusting = INDICATORS.parameters.model_copy(update={"goods_text_confident": 0.5})
    indicators = IndicatorSet(INDICATORS.document.model_copy(update={"parameters": trusting}))
    [reason] = select_regimes(described("UHT milk"), indicators)[Regime.VET].reasons
    assert reason.code == "goods_text"


def test_a_set_for_another_vocabulary_is_refused() -> None:
    raw = INDICATORS.document.model_dump(mode="json")
    raw["parameters"]["goods_vocabulary"] = "gv-000000000000"
    with pytest.raises(IndicatorSetError, match="goods_vocabulary gv-000000000000"):
        validated(raw, "test set")


def test_reasons_quote_a_long_description_cut_so_the_decision_stays_small() -> None:
    # Every item of the largest line read by its words, each a description at the cap.
    words = ("frozen beef cuts " * DESCRIPTION_MAX)[:DESCRIPTION_MAX]
    item = GoodsItem(item=1, hs_code=None, description=words, gross_mass_kg=1)
    largest = largest_line(described("frozen beef"), item)
    outcome = decide_at(largest)
    assert {r.code for r in outcome.reasons} >= {"goods_text"}
    decided = decision_record(largest, frozenset(), "D", outcome, 1, "v2", BASE_ETA)
    assert len(decided.model_dump_json()) < 900 * 1024


@pytest.mark.parametrize("description", ["Orangenkartons", "Eierkartons"])
def test_goods_named_before_a_packing_word_are_a_question_for_a_person(description: str) -> None:
    """A packing word heading a compound reads as the packing ("Eierkartons" are egg cartons,
    found on the corpus day rotterdam-2026-04-27), but "Orangenkartons" may as well be written for
    cartons of oranges: a person looks (review), neither a hold nor `not_controlled` on a guess."""
    outcome = decide_at(described(description), arrived=True)
    assert outcome.status is DecisionStatus.REVIEW
    [reason] = [r for r in outcome.reasons if r.code == "goods_uncertain"]
    assert "packing" in reason.text


def test_goods_said_to_be_packed_in_cartons_are_still_the_goods() -> None:
    outcome = decide_at(described("Eier in Kartons"), arrived=True)
    assert outcome.status is DecisionStatus.UNNOTIFIED
