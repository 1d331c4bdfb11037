"""Stage 6 per regime: the regime's decision from its scored candidates, its deadlines and
the feeds (`decide_regime`), and when a match settles it. Pure functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pnm.matcher.domain.deadlines import Timeline
from pnm.matcher.domain.quantity import QUANTITY_EXCEEDED, Use
from pnm.matcher.domain.scoring import Score, Verdict, best
from pnm.shared.contracts.records import DecisionStatus, Reason, Regime, RegimeDecision


def held_back(decided: RegimeDecision, why: Reason) -> RegimeDecision:
    """A block that may not be issued yet: the regime waits, saying what it would be and why
    it waits (the line is looked at again when that changes)."""
    return decided.model_copy(
        update={
            "status": DecisionStatus.AWAITING_NOTIFICATION,
            "reasons": [*decided.reasons, why],
        }
    )


def _summary(s: Score) -> str:
    levels = ", ".join(f"{field} {level}" for field, level, w in s.contributions if w)
    return f"{s.notification.reference} scores {s.total:g} ({levels})"


SETTLED_BY_MATCH = frozenset({DecisionStatus.NOTIFIED, DecisionStatus.NOTIFIED_LATE})


def settled_by_match(per_regime: Iterable[RegimeDecision]) -> bool:
    """Whether a decision stands whatever the candidates that cannot reach `match` would score:
    in every regime the line selects, a candidate matched. A regime with a match is decided
    among its matches alone (`_decide_regime`), so a candidate scoring `review` or nothing is
    never looked at there; only a line left without a match in some regime needs them (and
    the masses they cover)."""
    statuses = [d.status for d in per_regime]
    return bool(statuses) and all(s in SETTLED_BY_MATCH for s in statuses)


def decide_regime(
    regime: Regime,
    selection: list[Reason],
    scores: Sequence[Score],
    timeline: Timeline,
    now: datetime,
    degraded: str | None,
    previous: DecisionStatus | None,
    exceeded: Mapping[str, Use],
) -> tuple[RegimeDecision, Score | None]:
    def decision(status: DecisionStatus, refs: Iterable[Score], *reasons: Reason) -> RegimeDecision:
        references = sorted({s.notification.reference for s in refs})
        return RegimeDecision(
            regime=regime, status=status, references=references, reasons=[*selection, *reasons]
        )

    matches = [s for s in scores if s.verdict is Verdict.MATCH and s.notification.active]
    if matches:
        in_time = [s for s in matches if timeline.notified_in_time(s.notification.submitted_at)]
        chosen = best(in_time or matches)
        assert chosen is not None
        matched = Reason(code="matched", text=f"pre-notified: {_summary(chosen)}")
        if in_time:
            return decision(DecisionStatus.NOTIFIED, matches, matched), chosen
        late = Reason(
            code="notified_late",
            text=f"submitted {chosen.notification.submitted_at.isoformat()}, after the deadline "
            f"{timeline.lead_deadline.isoformat()} ({timeline.lead_rule})",
        )
        return decision(DecisionStatus.NOTIFIED_LATE, matches, matched, late), chosen
    reviews = [s for s in scores if s.notification.active]
    if reviews:
        chosen = best(reviews)
        assert chosen is not None
        capped = f"; {' and '.join(chosen.capped_by)}" if chosen.capped_by else ""
        over = exceeded.get(chosen.notification.reference)
        why = (
            Reason(
                code=QUANTITY_EXCEEDED,
                text=f"{chosen.notification.reference} declares {_declared(chosen)}; "
                f"with this line it also covers "
                f"{', '.join(over.others)}, more than it declares: {_summary(chosen)}",
            )
            if over is not None
            else Reason(
                code="partial_match", text=f"matches only in part: {_summary(chosen)}{capped}"
            )
        )
        return decision(DecisionStatus.REVIEW, reviews, why), chosen
    if scores:
        chosen = best(scores)
        assert chosen is not None
        statuses = ", ".join(f"{s.notification.reference} {s.notification.status}" for s in scores)
        return (
            decision(
                DecisionStatus.INVALID_NOTIFICATION,
                scores,
                Reason(
                    code="no_valid_notification", text=f"only invalid pre-notifications: {statuses}"
                ),
            ),
            chosen,
        )
    status, reason = timeline.waiting(now)
    held_before = status is DecisionStatus.UNNOTIFIED and previous is DecisionStatus.UNNOTIFIED
    if degraded and status is not DecisionStatus.AWAITING_NOTIFICATION and not held_before:
        # No *new* unnotified (a hold issued before the outage stays) and no overdue while the
        # feed may be holding notifications back.
        return (
            held_back(
                decision(status, (), reason),
                Reason(code="feed_outage", text=f"held back: {degraded}"),
            ),
            None,
        )
    return decision(status, (), reason), None


def _declared(score: Score) -> str:
    n = score.notification
    return f"{n.net_mass_kg:g} kg net" + (f", {n.packages} packages" if n.packages else "")
