"""A pre-notification's quantity is a budget (docs/quantity-budget.md).

The lines a pre-notification covers by key (a quoted reference, a container, the transport
document, or a typo of one) consume its net mass, and its packages where both sides count them,
first; a line that is only a weaker candidate (the same vessel and importer) may claim only what
they leave. A certificate used for more goods than it declares is a known fraud pattern, so lines
that together over-use it go before a person (`quantity_exceeded`) instead of each being
credited with it. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pnm.matcher.domain.indicators import Parameters
from pnm.shared.contracts.records import Decision

QUANTITY_EXCEEDED = "quantity_exceeded"  # the reason code of a line over-using a notification


@dataclass(frozen=True, slots=True)
class Quantity:
    """A mass and a package count; the count is None unless every part gives its own (a budget
    of packages needs all of them)."""

    kg: float
    packages: int | None = None

    def __add__(self, other: Quantity) -> Quantity:
        return Quantity(self.kg + other.kg, total_packages((self.packages, other.packages)))


NOTHING = Quantity(0.0, 0)


def total_packages(counts: Iterable[int | None]) -> int | None:
    """The sum of the counts, or None when any is not given."""
    total = 0
    for count in counts:
        if count is None:
            return None
        total += count
    return total


class Claim(StrEnum):
    FITS = "fits"  # within what the notification declares (or nothing to weigh)
    # Covered by key, and the lines it covers weigh more than it declares while this line
    # alone does not: the certificate is used for more goods than it declares.
    EXCEEDED = "exceeded"
    # A weaker candidate: what the lines covered by key leave is too little for this line.
    EXHAUSTED = "exhausted"


def _short(notified: float, used: float, p: Parameters) -> bool:
    """What is notified no longer covers what is weighed against it within the tolerance of a
    weight that agrees (below the `weight_within` band: packaging makes net lighter than gross,
    but not by that much; more notified than used is another matter, not a use beyond it). The
    same band serves package counts: parties count the same cartons a little differently."""
    return used > 0 and notified / used < p.weight_within[0]


def _over(notified: Quantity, used: Quantity, p: Parameters, *, count_packages: bool) -> bool:
    if _short(notified.kg, used.kg, p):
        return True
    # `count_packages` says the notification counts them; `used` may still not.
    return (
        count_packages
        and used.packages is not None
        and _short(notified.packages or 0, used.packages, p)
    )


@dataclass(frozen=True, slots=True)
class Use:
    """How a line uses a candidate's quantity. `others`: the other lines it covers by key."""

    claim: Claim
    others: tuple[str, ...]


def claim(
    notified: Quantity,
    own: Quantity,
    others: Quantity,
    other_lines: tuple[str, ...],
    *,
    by_key: bool,
    p: Parameters,
) -> Use:
    """`own`: this line's gross mass and packages of the regime's goods; `others`: those of the
    other lines the notification covers by key."""
    # Package counts weigh only where the lines covered by key fit the notified count by
    # themselves: a manifest may count pallets where the certificate counts cartons, and counts
    # in evidently different units say nothing of a second use.
    count_packages = (
        notified.packages is not None
        and others.packages is not None
        and not _short(notified.packages, others.packages, p)
    )
    if not other_lines or not _over(notified, others + own, p, count_packages=count_packages):
        return Use(Claim.FITS, other_lines)
    if not by_key:
        return Use(Claim.EXHAUSTED, other_lines)
    # One line alone far heavier (or far more packages) than notified is a quantity far off,
    # not a shared certificate.
    alone = _over(notified, own, p, count_packages=count_packages)
    return Use(Claim.FITS if alone else Claim.EXCEEDED, other_lines)


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
