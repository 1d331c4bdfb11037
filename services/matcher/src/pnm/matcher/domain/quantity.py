"""A pre-notification's quantity is a budget (docs/quantity-budget.md).

The lines a pre-notification covers by key (a quoted reference, a container, the transport
document, or a typo of one) consume its net mass first; a line that is only a weaker candidate
(the same vessel and importer) may claim only what they leave. A certificate used for more
goods than it declares is a known fraud pattern, so lines that together over-use it go before a
person (`quantity_exceeded`) instead of each being credited with it. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pnm.matcher.domain.indicators import Parameters
from pnm.shared.contracts.records import Decision

QUANTITY_EXCEEDED = "quantity_exceeded"  # the reason code of a line over-using a notification


class Claim(StrEnum):
    FITS = "fits"  # within what the notification declares (or nothing to weigh)
    # Covered by key, and the lines it covers weigh more than it declares while this line
    # alone does not: the certificate is used for more goods than it declares.
    EXCEEDED = "exceeded"
    # A weaker candidate: what the lines covered by key leave is too little for this line.
    EXHAUSTED = "exhausted"


def _too_little(net_kg: float, gross_kg: float, p: Parameters) -> bool:
    """The notified net mass no longer covers the gross mass weighed against it within the
    tolerance of a weight that agrees (below the `weight_within` band: packaging makes net
    lighter than gross, but not by that much; a net mass above the band is another matter,
    not a use beyond it)."""
    return gross_kg > 0 and net_kg / gross_kg < p.weight_within[0]


@dataclass(frozen=True, slots=True)
class Use:
    """How a line uses a candidate's quantity. `others`: the other lines it covers by key."""

    claim: Claim
    others: tuple[str, ...]


def claim(
    net_kg: float,
    own_kg: float,
    others_kg: float,
    others: tuple[str, ...],
    *,
    by_key: bool,
    p: Parameters,
) -> Use:
    """`own_kg`: this line's gross mass of the regime's goods; `others_kg`: the gross mass of
    the other lines the notification covers by key."""
    if not others or not _too_little(net_kg, others_kg + own_kg, p):
        return Use(Claim.FITS, others)
    if not by_key:
        return Use(Claim.EXHAUSTED, others)
    # One line alone far heavier than notified is a weight far off, not a shared certificate.
    return Use(Claim.FITS if _too_little(net_kg, own_kg, p) else Claim.EXCEEDED, others)


def over_used(reference: str, decisions: Iterable[Decision]) -> list[Decision]:
    """The decisions that name the notification as used beyond its quantity: the compliance
    flag of the certificate (`GET /matcher/notifications/{reference}/lines`)."""
    return [
        d
        for d in decisions
        if any(
            reference in r.references and any(why.code == QUANTITY_EXCEEDED for why in r.reasons)
            for r in d.per_regime
        )
    ]
