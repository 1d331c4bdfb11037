"""Stage 6: a manifest line decided per regime and overall from its selection (`selection`),
its candidates scored against the quantity they may claim, and the deadlines (`regime`).
Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache

from pnm.matcher.domain.deadlines import Timeline
from pnm.matcher.domain.facts import Goods, LineFacts, NotificationFacts
from pnm.matcher.domain.goods_selection import GOODS_UNCERTAIN
from pnm.matcher.domain.indicators import Exemption, IndicatorSet, Parameters
from pnm.matcher.domain.quantity import NOTHING, Claim, Quantity, Use, claim, total_packages
from pnm.matcher.domain.regime import SETTLED_BY_MATCH, decide_regime, held_back
from pnm.matcher.domain.scoring import (
    Comparison,
    LineSide,
    Score,
    Verdict,
    consignment_levels,
    covers,
    name_similarity,
    near_key,
    reaches_review,
    score,
    shares_strong_key,
)
from pnm.matcher.domain.selection import Selected, bcp_refusal, exemption_for, select_regimes
from pnm.matcher.domain.watermark import Backlog
from pnm.shared.bcp.lead_time import is_wood
from pnm.shared.competence import REGIME_OF_CHED
from pnm.shared.contracts.records import (
    ChedType,
    Contribution,
    DecisionStatus,
    ManifestLine,
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
WAITING = frozenset(
    {
        DecisionStatus.AWAITING_NOTIFICATION,
        DecisionStatus.OVERDUE,
        DecisionStatus.UNNOTIFIED,
    }
)


@dataclass(frozen=True)
class LineSituation:
    """What is known of a line besides its candidates: the record, its facts, the current ETA
    (after ETA updates) and the arrival, if any. `selected`: the line's regimes under the
    indicator set decided with, when the caller has them already (`select_regimes`)."""

    record: ManifestLine
    facts: LineFacts
    eta: datetime
    arrived_at: datetime | None
    selected: Mapping[Regime, Selected] | None = None


@dataclass(frozen=True)
class Evidence:
    """A candidate pre-notification with the gross mass (and packages, where every line gives
    them) of the *other* lines it covers by key (this line counts with the goods of the regime in
    question only: a mixed container)."""

    notification: NotificationFacts
    others: Quantity = NOTHING
    # The other lines it covers by key ("manifest/line"): named when they over-use it together.
    other_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class DecisionOutcome:
    status: DecisionStatus
    regimes: tuple[Regime, ...]
    per_regime: tuple[RegimeDecision, ...]
    references: tuple[str, ...]
    reasons: tuple[Reason, ...]
    explanation: tuple[Contribution, ...] = ()
    next_deadline: datetime | None = None


def reach(
    facts: LineFacts, eta: datetime, port: str, n: NotificationFacts, indicators: IndicatorSet
) -> list[Comparison] | None:
    """A candidate worth scoring, in the line's block and able to reach `review`: its
    consignment levels (the first part of its score, computed once); None for any other."""
    if not in_block(facts, eta, n, indicators.parameters):
        return None
    levels = consignment_levels(facts, eta, port, n, indicators)
    return levels if reaches_review(levels, indicators) else None


def in_block(facts: LineFacts, eta: datetime, n: NotificationFacts, p: Parameters) -> bool:
    """Candidate search (stage 4): a strong key in common, or the weak block: the same vessel or
    flight within the arrival window, with a similar consignee or a container or transport
    document one typo away (a forwarder may be the consignee)."""
    if shares_strong_key(facts, n):
        return True
    return (
        facts.vessel is not None
        and facts.vessel == n.vessel
        and abs((n.expected_arrival - eta).total_seconds()) <= p.arrival_window_hours * 3600
        and (
            name_similarity(facts.consignee, n.importer) >= p.name_fuzzy_score
            or near_key(facts.containers, facts.transport_document, n)
        )
    )


def decide(
    situation: LineSituation,
    indicators: IndicatorSet,
    candidates: Iterable[Evidence],
    now: datetime,
    degraded: Mapping[Regime, str] | None = None,
    previous: Mapping[Regime, DecisionStatus] | None = None,
    backlog: Backlog | None = None,
) -> DecisionOutcome:
    """`backlog`: what the matcher has consumed of the pre-notification feed; None when it
    has every one there is (the replay, whose inputs are in order)."""
    line = situation.record
    if line.withdrawn:
        return DecisionOutcome(
            DecisionStatus.NOT_CONTROLLED,
            (),
            (),
            (),
            (Reason(code="line_withdrawn", text="the line was withdrawn by an amendment"),),
        )
    selected = (
        situation.selected if situation.selected is not None else select_regimes(line, indicators)
    )
    if not selected:
        return DecisionOutcome(
            DecisionStatus.NOT_CONTROLLED,
            (),
            (),
            (),
            (Reason(code="no_indicator", text="no risk indicator applies to the goods"),),
        )
    p = indicators.parameters
    bcp = indicators.bcp(line.port_of_discharge, line.mode)
    reachable = [
        (c, levels)
        for c in candidates
        if (
            levels := reach(
                situation.facts, situation.eta, line.port_of_discharge, c.notification, indicators
            )
        )
        is not None
    ]
    decisions: list[tuple[RegimeDecision, Score | None]] = []
    waiting: list[Timeline] = []
    for regime, selection in sorted(selected.items()):
        exemption = exemption_for(line, regime, selection, indicators)
        if exemption is not None:
            decisions.append((_exempt(regime, selection, exemption), None))
            continue
        # The wood rule is for plant-health goods (CHED-PP), the phyto regime's.
        wood = regime is Regime.PHYTO and is_wood(
            ChedType.CHED_PP, (c for codes in selection.codes.values() for c in codes)
        )
        timeline = Timeline.of(situation.eta, situation.arrived_at, bcp, p, wood=wood)
        side = LineSide(
            situation.facts,
            [
                Goods(
                    g.hs_code,
                    g.description,
                    g.gross_mass_kg,
                    tuple(selection.codes.get(g.item, ())),
                    g.packages,
                )
                for g in selection.goods
            ],
            situation.eta,
            line.port_of_discharge,
        )
        scores, exceeded = _scored(side, reachable, regime, indicators)
        decided = decide_regime(
            regime,
            selection.reasons,
            scores,
            timeline,
            now,
            (degraded or {}).get(regime),
            (previous or {}).get(regime),
            exceeded,
        )
        if backlog is not None:
            why = backlog.hold(decided[0].status, (previous or {}).get(regime))
            if why is not None:
                decided = (held_back(decided[0], why), decided[1])
        # Time may still change what lies under a refusal (awaiting → unnotified).
        if decided[0].status in WAITING:
            waiting.append(timeline)
        refusal = bcp_refusal(line, selection, indicators)
        decided = _refused(decided, refusal) if refusal else decided
        decisions.append(_guessed(decided) if _only_uncertain(selection) else decided)
    per_regime = tuple(d for d, _ in decisions)
    overall = max(per_regime, key=lambda d: SEVERITY[d.status])
    return DecisionOutcome(
        status=overall.status,
        regimes=tuple(d.regime for d in per_regime),
        per_regime=per_regime,
        references=tuple(sorted({r for d in per_regime for r in d.references})),
        reasons=tuple(r for d in per_regime for r in d.reasons),
        explanation=tuple(
            c for d, s in decisions if s is not None for c in _waterfall(d.regime, s)
        ),
        next_deadline=min(
            (d for t in waiting if (d := t.next_deadline(now)) is not None), default=None
        ),
    )


def _refused(
    decided: tuple[RegimeDecision, Score | None], refusal: Reason
) -> tuple[RegimeDecision, Score | None]:
    """Goods the port may not take need a person: at least `review` (a hold stays a hold)."""
    regime_decision, chosen = decided
    status = max(regime_decision.status, DecisionStatus.REVIEW, key=SEVERITY.__getitem__)
    return (
        regime_decision.model_copy(
            update={"status": status, "reasons": [*regime_decision.reasons, refusal]}
        ),
        chosen,
    )


def _only_uncertain(selection: Selected) -> bool:
    return all(r.code == GOODS_UNCERTAIN for r in selection.reasons)


def _guessed(decided: tuple[RegimeDecision, Score | None]) -> tuple[RegimeDecision, Score | None]:
    """Goods selected on an uncertain reading of their description are for a person to look at:
    `review` where the decision would wait or hold (never a hold on a guess)."""
    regime_decision, chosen = decided
    if regime_decision.status in SETTLED_BY_MATCH:
        return decided
    return regime_decision.model_copy(update={"status": DecisionStatus.REVIEW}), chosen


def _waterfall(regime: Regime, s: Score) -> list[Contribution]:
    header = Contribution(
        field="candidate", level=f"{regime} {s.notification.reference}", weight=s.total
    )
    return [header, *(_contribution(*c) for c in s.contributions)]


@lru_cache(maxsize=4096)
def _contribution(field: str, level: str, weight: float) -> Contribution:
    """A row of the matcher's own comparison levels, validated as a whole with the indicator
    set: built unvalidated, once per (field, level, weight), and shared (it is frozen)."""
    return Contribution.model_construct(field=field, level=level, weight=weight)


def _exempt(regime: Regime, selection: Selected, exemption: Exemption) -> RegimeDecision:
    return RegimeDecision(
        regime=regime,
        status=DecisionStatus.EXEMPT,
        references=[],
        reasons=[
            *selection.reasons,
            Reason(
                code=f"exempt.{exemption.rule}",
                text=f"{exemption.description} ({exemption.legal_source})",
            ),
        ],
    )


def _scored(
    side: LineSide,
    reachable: Sequence[tuple[Evidence, list[Comparison]]],
    regime: Regime,
    indicators: IndicatorSet,
) -> tuple[list[Score], dict[str, Use]]:
    """The regime's candidates scored, with the quantity each may claim (`domain.quantity`): a
    weaker candidate whose quantity the lines covered by key have used is no candidate; a match
    by key makes the weaker candidates irrelevant (the line moves to the notification that
    covers it). Also the candidates this line over-uses together with others."""
    facts = side.facts
    own = Quantity(
        sum(g.mass_kg for g in side.goods), total_packages(g.packages for g in side.goods)
    )
    scored: list[tuple[Score, bool]] = []
    exceeded: dict[str, Use] = {}
    for c, levels in reachable:
        n = c.notification
        if REGIME_OF_CHED[n.ched_type] is not regime:
            continue
        by_key = covers(facts.strong_keys, facts.containers, facts.transport_document, n)
        use = claim(
            Quantity(n.net_mass_kg, n.packages),
            own,
            c.others,
            c.other_lines,
            by_key=by_key,
            p=indicators.parameters,
        )
        if use.claim is Claim.EXHAUSTED:
            continue
        s = score(side, n, c.others.kg + own.kg, indicators, levels)
        if use.claim is Claim.EXCEEDED and s.verdict is not Verdict.NONE:
            # Over-used together: however well it scores, a person decides.
            exceeded[n.reference] = use
            s = replace(s, verdict=Verdict.REVIEW)
        if s.verdict is not Verdict.NONE:
            scored.append((s, by_key))
    if any(k and s.verdict is Verdict.MATCH and s.notification.active for s, k in scored):
        scored = [(s, k) for s, k in scored if k]
    return [s for s, _ in scored], exceeded
