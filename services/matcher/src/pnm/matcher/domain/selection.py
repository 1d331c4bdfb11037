"""Stages 2 and 3: the regimes a manifest line's goods select under an indicator set (by CN
prefix, else by the words of their description) and the exemption that covers them; and
whether the port of discharge may take them. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pnm.matcher.domain.goods_selection import read_goods
from pnm.matcher.domain.indicators import Exemption, IndicatorSet
from pnm.shared.contracts.records import ChedType, GoodsItem, ManifestLine, Reason, Regime

FULL_CODE_DIGITS = 6


@dataclass(frozen=True)
class Selected:
    goods: list[GoodsItem] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    # Per goods item: the CN code(s) it counts as (its code, or its keywords' headings).
    codes: dict[int, list[str]] = field(default_factory=dict)
    # Per goods item: the CHED categories it falls under; None for a heading that holds goods
    # of other categories too ("partial" coverage), where the category is not certain.
    categories: dict[int, set[ChedType | None]] = field(default_factory=dict)


def select_regimes(line: ManifestLine, indicators: IndicatorSet) -> dict[Regime, Selected]:
    """Voorselectie: the regimes whose indicators the line's goods fall under, with why. Goods
    are selected by CN prefix; goods whose code is missing, generic, or a heading (4 digits)
    under no prefix are selected by their description: read by goods recognition where the set
    names a goods vocabulary (docs/goods-recognition.md), else by its keywords."""
    selected: dict[Regime, Selected] = {}

    def add(
        regime: Regime,
        item: GoodsItem,
        reason: Reason,
        codes: Iterable[str],
        category: ChedType | None,
    ) -> None:
        entry = selected.setdefault(regime, Selected())
        if item not in entry.goods:
            entry.goods.append(item)
        entry.reasons.append(reason)
        known = entry.codes.setdefault(item.item, [])
        known.extend(c for c in codes if c not in known)
        entry.categories.setdefault(item.item, set()).add(category)

    for item in line.goods:
        code = None if indicators.is_generic(item.hs_code) else item.hs_code
        by_prefix = indicators.matching(code)
        for indicator in by_prefix:
            add(
                indicator.regime,
                item,
                Reason(
                    code="cn_prefix",
                    text=f"item {item.item}: HS {code} under {indicator.cn_prefix} "
                    f"({indicator.description}; {indicator.legal_source})",
                    indicator=f"cn:{indicator.cn_prefix}",
                ),
                [code] if code else [],
                indicator.ched_type if indicator.coverage == "all" else None,
            )
        # A full code (6 digits or more) that no indicator covers is authoritative; a missing,
        # generic or heading-only code leaves it to the description.
        if by_prefix or (code is not None and len(code) >= FULL_CODE_DIGITS):
            continue
        why = "no HS code" if not item.hs_code else f"HS {item.hs_code} is not specific"
        if indicators.parameters.goods_vocabulary is not None:
            for reading in read_goods(item.description, indicators):
                add(
                    reading.regime, item, reading.reason(item, why), reading.codes, reading.category
                )
            continue
        for keyword in indicators.keywords_in(item.description):
            add(
                keyword.regime,
                item,
                Reason(
                    code="keyword",
                    text=f"item {item.item}: {why}; description {item.description!r} "
                    f"has {keyword.phrase!r} ({keyword.ched_type}; {keyword.legal_source})",
                    indicator=f"keyword:{keyword.phrase}",
                ),
                keyword.cn_prefixes,
                keyword.ched_type,
            )
    return selected


def bcp_refusal(line: ManifestLine, selection: Selected, indicators: IndicatorSet) -> Reason | None:
    """The port of discharge is a border control post not designated for the goods' category
    (live animals only at posts designated for them, Reg. (EU) 2017/625 art. 59 and 64): the
    goods may not enter the Union there, whatever is notified. Only where the category is
    certain and the designation is a known "no"."""
    bcp = indicators.bcp(line.port_of_discharge, line.mode)
    if bcp is None:
        return None
    for item in selection.goods:
        categories = selection.categories.get(item.item, set())
        if not categories or None in categories:
            continue
        if all(bcp.designation(c) == "no" for c in categories if c is not None):
            named = ", ".join(sorted(c.value for c in categories if c is not None))
            return Reason(
                code="bcp_not_designated",
                text=f"item {item.item}: {bcp.label} is not designated for {named} (BCP table "
                f"{indicators.bcps.version}); the goods may not enter here",
            )
    return None


def exemption_for(
    line: ManifestLine, regime: Regime, selected: Selected, indicators: IndicatorSet
) -> Exemption | None:
    """The first exemption rule of the regime that covers every goods item the regime selected."""
    return next(
        (
            e
            for e in indicators.exemptions
            if e.regime is regime and e.covers(line, selected.goods, selected.codes)
        ),
        None,
    )
