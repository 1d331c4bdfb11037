"""Selection, candidate evaluation and the decision for one manifest line. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pnm.matcher.domain.indicators import Exemption, IndicatorSet
from pnm.shared.contracts.records import (
    ChedType,
    DecisionStatus,
    ManifestLine,
    PreNotificationStatus,
    Reason,
    Regime,
    RegimeDecision,
)

# Most severe wins. Explicit, so that reordering the enum never changes an outcome.
SEVERITY: dict[DecisionStatus, int] = {
    DecisionStatus.NOT_CONTROLLED: 0,
    DecisionStatus.EXEMPT: 1,
    DecisionStatus.NOTIFIED: 2,
    DecisionStatus.NOTIFIED_LATE: 3,
    DecisionStatus.AWAITING_NOTIFICATION: 4,
    DecisionStatus.OVERDUE: 5,
    DecisionStatus.REVIEW: 6,
    DecisionStatus.INVALID_NOTIFICATION: 7,
    DecisionStatus.UNNOTIFIED: 8,
}

REGIME_OF_CHED: dict[ChedType, Regime] = {
    ChedType.CHED_PP: Regime.PHYTO,
    ChedType.CHED_P: Regime.VET,
    ChedType.CHED_A: Regime.VET,
    # Feed and food of non-animal origin is notified in VGC and checked by NVWA.
    ChedType.CHED_D: Regime.VET,
}

ACTIVE = frozenset({PreNotificationStatus.SUBMITTED, PreNotificationStatus.VALIDATED})


@dataclass(frozen=True)
class Candidate:
    """A pre-notification that shares a container or transport document with the line."""

    reference: str
    ched_type: ChedType
    status: PreNotificationStatus
    matched_on: str  # "container" | "transport_document"

    @property
    def regime(self) -> Regime:
        return REGIME_OF_CHED[self.ched_type]


@dataclass(frozen=True)
class Outcome:
    status: DecisionStatus
    regimes: tuple[Regime, ...]
    per_regime: tuple[RegimeDecision, ...]
    references: tuple[str, ...]
    reasons: tuple[Reason, ...]


def select_regimes(line: ManifestLine, indicators: IndicatorSet) -> dict[Regime, list[Reason]]:
    """Voorselectie: the regimes whose CN prefixes the line's goods fall under, with why."""
    selected: dict[Regime, list[Reason]] = {}
    for goods in line.goods:
        for indicator in indicators.matching(goods.hs_code):
            selected.setdefault(indicator.regime, []).append(
                Reason(
                    code="cn_prefix",
                    text=f"item {goods.item}: HS {goods.hs_code} under {indicator.cn_prefix} "
                    f"({indicator.description}; {indicator.legal_source})",
                )
            )
    return selected


def decide(
    line: ManifestLine,
    indicators: IndicatorSet,
    candidates: Iterable[Candidate],
    arrived: bool,
) -> Outcome:
    if line.withdrawn:
        return Outcome(
            DecisionStatus.NOT_CONTROLLED,
            (),
            (),
            (),
            (Reason(code="line_withdrawn", text="the line was withdrawn by an amendment"),),
        )
    selected = select_regimes(line, indicators)
    if not selected:
        return Outcome(
            DecisionStatus.NOT_CONTROLLED,
            (),
            (),
            (),
            (Reason(code="no_indicator", text="no risk indicator applies to the goods codes"),),
        )
    candidates = list(candidates)
    per_regime = tuple(
        _exempt(regime, reasons, exemption)
        if (exemption := _exemption(line, indicators, regime))
        else _decide_regime(regime, reasons, [c for c in candidates if c.regime is regime], arrived)
        for regime, reasons in sorted(selected.items())
    )
    overall = max(per_regime, key=lambda d: SEVERITY[d.status])
    return Outcome(
        status=overall.status,
        regimes=tuple(d.regime for d in per_regime),
        per_regime=per_regime,
        references=tuple(sorted({r for d in per_regime for r in d.references})),
        reasons=tuple(r for d in per_regime for r in d.reasons),
    )


def _exemption(line: ManifestLine, indicators: IndicatorSet, regime: Regime) -> Exemption | None:
    """The first exemption rule of the regime that covers every goods item the regime selected."""
    goods = [
        item
        for item in line.goods
        if any(i.regime is regime for i in indicators.matching(item.hs_code))
    ]
    return next(
        (e for e in indicators.exemptions if e.regime is regime and e.covers(line, goods)), None
    )


def _exempt(regime: Regime, selection: list[Reason], exemption: Exemption) -> RegimeDecision:
    return RegimeDecision(
        regime=regime,
        status=DecisionStatus.EXEMPT,
        references=[],
        reasons=[
            *selection,
            Reason(
                code=f"exempt.{exemption.rule}",
                text=f"{exemption.description} ({exemption.legal_source})",
            ),
        ],
    )


def _decide_regime(
    regime: Regime, selection: list[Reason], candidates: Sequence[Candidate], arrived: bool
) -> RegimeDecision:
    active = sorted({c.reference for c in candidates if c.status in ACTIVE})
    if active:
        return RegimeDecision(
            regime=regime,
            status=DecisionStatus.NOTIFIED,
            references=active,
            reasons=[*selection, Reason(code="matched", text=_matched_text(candidates, active))],
        )
    inactive = sorted({c.reference for c in candidates})
    if arrived and inactive:
        return RegimeDecision(
            regime=regime,
            status=DecisionStatus.INVALID_NOTIFICATION,
            references=inactive,
            reasons=[
                *selection,
                Reason(
                    code="no_valid_notification",
                    text="only cancelled, rejected or replaced pre-notifications",
                ),
            ],
        )
    if arrived:
        return RegimeDecision(
            regime=regime,
            status=DecisionStatus.UNNOTIFIED,
            references=[],
            reasons=[
                *selection,
                Reason(code="arrived_unnotified", text="arrived without a pre-notification"),
            ],
        )
    return RegimeDecision(
        regime=regime,
        status=DecisionStatus.AWAITING_NOTIFICATION,
        references=[],
        reasons=[
            *selection,
            Reason(code="not_yet_notified", text="no pre-notification yet; not arrived"),
        ],
    )


def _matched_text(candidates: Sequence[Candidate], references: list[str]) -> str:
    keys = sorted({c.matched_on for c in candidates if c.reference in references})
    return f"pre-notified as {', '.join(references)} (matched on {', '.join(keys)})"
