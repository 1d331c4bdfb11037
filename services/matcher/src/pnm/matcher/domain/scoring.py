"""Stage 5, score: how strongly a pre-notification and a manifest line describe the same
consignment. Per field a comparison level, per level a log-likelihood weight from the indicator
set (Fellegi-Sunter); the sum against two thresholds, match and review. Every contribution is
kept so that a person can see why (a waterfall)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from pnm.matcher.domain.facts import Goods, LineFacts, NotificationFacts
from pnm.matcher.domain.indicators import IndicatorSet, Parameters
from pnm.matcher.domain.keys import reference_key
from pnm.shared.identifiers import Normalised, air_waybill, container_number

Level = tuple[str, str, float]
Comparison = tuple[str, str]


class Verdict(StrEnum):
    MATCH = "match"
    REVIEW = "review"
    NONE = "none"


# Comparisons that cap a candidate at review however high it scores: the keys agree but the
# consignment does not (docs/architecture.md, "The matcher's stages", stage 6: "a container
# notified for other goods, a weight far off").
CAPPING_LEVELS = frozenset(
    {
        ("goods", "2"),
        ("goods", "differ"),
        ("weight", "far_off"),
        ("transport_document", "check_blind"),
    }
)


@dataclass(frozen=True, slots=True)
class Score:
    notification: NotificationFacts
    contributions: tuple[Level, ...]  # (field, level, weight): records only when chosen
    total: float
    verdict: Verdict

    @property
    def capped_by(self) -> list[str]:
        return [
            f"{field} {level}"
            for field, level, _ in self.contributions
            if (field, level) in CAPPING_LEVELS
        ]


@dataclass(frozen=True, slots=True)
class LineSide:
    """What the line offers for comparison: its facts, its goods of the regime in question,
    its arrival, its port, and the gross mass of every line the candidate covers."""

    facts: LineFacts
    goods: Sequence[Goods]
    eta: datetime
    port: str


def score(
    line: LineSide,
    notification: NotificationFacts,
    covered_gross_kg: float,
    indicators: IndicatorSet,
    consignment: Sequence[Comparison] | None = None,
) -> Score:
    """`consignment`: the candidate's `consignment_levels`, when the caller has them already."""
    p = indicators.parameters
    if consignment is None:
        consignment = consignment_levels(line.facts, line.eta, line.port, notification, indicators)
    levels = [
        *consignment,
        *_goods(line.goods, notification, indicators),
        *_weight(covered_gross_kg, notification, p),
    ]
    weights = indicators.weight_table
    contributions = tuple(
        (field, level, weights[_weight_key(field, level)]) for field, level in levels
    )
    total = round(sum(w for _, _, w in contributions), 3)
    capped = any((field, level) in CAPPING_LEVELS for field, level, _ in contributions)
    if total >= p.match_threshold and not capped:
        verdict = Verdict.MATCH
    elif total >= p.review_threshold or QUOTED in consignment:
        # A line that quotes the notification says itself that it is covered by it: however
        # little else agrees, a person decides (never a hold as unnotified).
        verdict = Verdict.REVIEW
    else:
        verdict = Verdict.NONE
    return Score(notification, contributions, total, verdict)


def consignment_levels(
    facts: LineFacts, eta: datetime, port: str, n: NotificationFacts, indicators: IndicatorSet
) -> list[Comparison]:
    """The comparisons that do not depend on the goods of a regime or the mass covered."""
    p = indicators.parameters
    return [
        *_reference(facts, n),
        *_containers(facts, n),
        *_document(facts, n),
        *_name(facts, n, p),
        *_vessel(facts, n),
        _arrival(eta, n, p),
        _bcp(facts, port, n, indicators),
    ]


def reaches_review(consignment: Sequence[Comparison], indicators: IndicatorSet) -> bool:
    """Whether a candidate with these consignment levels can score at least `review` with the
    best goods and weight levels there are. One that cannot is no candidate whatever it
    notifies or covers, so neither is it scored nor is the mass it covers looked up (most of a
    vessel's weak block)."""
    return (
        QUOTED in consignment
        or _ceiling(consignment, indicators) >= indicators.parameters.review_threshold
    )


def reaches_match(consignment: Sequence[Comparison], indicators: IndicatorSet) -> bool:
    """Whether a candidate with these consignment levels can score `match` with the best goods
    and weight levels there are. One that cannot changes nothing for a line another candidate
    matches (see `decision.settled_by_match`)."""
    return _ceiling(consignment, indicators) >= indicators.parameters.match_threshold


def _ceiling(consignment: Sequence[Comparison], indicators: IndicatorSet) -> float:
    weights = indicators.weight_table
    partial = sum(weights[_weight_key(field, level)] for field, level in consignment)
    return partial + indicators.goods_and_weight_ceiling


def shares_strong_key(facts: LineFacts, notification: NotificationFacts) -> bool:
    """Blocking on strong keys: exact container, transport document or quoted reference."""
    return not facts.strong_keys.isdisjoint(notification.strong_keys)


_PREFIXES = {"transport_document": "document", "goods": "cn", "reference": "reference"}


@lru_cache(maxsize=256)
def _weight_key(field: str, level: str) -> str:
    """The indicator set's weight of a comparison level: `transport_document`, `one_edit` →
    `document_one_edit`."""
    return f"{_PREFIXES.get(field, field)}_{level}"


def _quotes(facts: LineFacts, n: NotificationFacts) -> bool:
    # Not quoting a reference is no evidence either way: manifests rarely quote them (so the
    # reference is normalised only for a line that quotes some).
    return bool(facts.quoted) and reference_key(n.reference) in facts.quoted


QUOTED: Comparison = ("reference", "quoted")


def _reference(facts: LineFacts, n: NotificationFacts) -> list[Comparison]:
    return [QUOTED] if _quotes(facts, n) else []


def _one_edit(a: str, b: str) -> bool:
    """One substitution, insertion, deletion or adjacent transposition apart (optimal string
    alignment): the typos people make in container and document numbers."""
    return OSA.distance(a, b, score_cutoff=1) <= 1


def _typo(a: str, b: str, check: Callable[[str], Normalised]) -> bool:
    """One edit apart, and at least one of the two fails its check digit: two valid numbers one
    edit apart are two consignments (consecutive boxes of one owner), not a typo. Numbers
    without a check digit (a B/L) count as typos on the edit distance alone."""
    return _one_edit(a, b) and not (check(a).valid and check(b).valid)


def _container_typo(containers: frozenset[str], n: NotificationFacts) -> bool:
    return any(_typo(a, b, container_number) for a in containers for b in n.containers)


def _swapped(a: str, b: str) -> bool:
    """The same number with two adjacent characters swapped (a check digit rarely catches a
    swap beside it: PNMU0000103 and PNMU0000130 both pass)."""
    if len(a) != len(b):
        return False
    differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return (
        len(differ) == 2
        and differ[1] == differ[0] + 1
        and a[differ[0]] == b[differ[1]]
        and a[differ[1]] == b[differ[0]]
    )


def _corroborated(facts: LineFacts, n: NotificationFacts, *, by_document: bool) -> bool:
    """Another key of the consignment agrees: a quoted reference, or (for a container) the
    transport document. Two valid numbers one swap apart are then one number mistyped, not
    two consignments."""
    return _quotes(facts, n) or (
        by_document
        and n.transport_document is not None
        and n.transport_document == facts.transport_document
    )


def near_key(containers: frozenset[str], document: str, n: NotificationFacts) -> bool:
    """A container or the transport document one typo away."""
    return _container_typo(containers, n) or (
        n.transport_document is not None and _typo(n.transport_document, document, air_waybill)
    )


def _air_waybill_typo(a: str, b: str) -> bool:
    """One a valid air waybill, the other one edit from it and failing the check digit."""
    return air_waybill(a).valid != air_waybill(b).valid and _one_edit(a, b)


def covers(
    strong_keys: frozenset[str], containers: frozenset[str], document: str, n: NotificationFacts
) -> bool:
    """The notification covers the line by key: a strong key in common, or a typo of a number
    with a check digit. The lines it covers are the ones its mass is weighed against. A B/L
    one edit away is not one: B/L numbers run in sequences, so it is as likely the next
    consignment of the same importer (it still scores as a candidate of its own line)."""
    return (
        not strong_keys.isdisjoint(n.strong_keys)
        or _container_typo(containers, n)
        or (n.transport_document is not None and _air_waybill_typo(n.transport_document, document))
    )


def _containers(facts: LineFacts, n: NotificationFacts) -> list[Comparison]:
    if not facts.containers or not n.containers:
        return []
    if facts.containers & n.containers:
        return [("container", "exact")]
    if _container_typo(facts.containers, n) or (
        _corroborated(facts, n, by_document=True)
        and any(_swapped(a, b) for a in facts.containers for b in n.containers)
    ):
        return [("container", "one_edit")]
    return [("container", "differ")]


def _document(facts: LineFacts, n: NotificationFacts) -> list[Comparison]:
    if not n.transport_document:
        return []
    if n.transport_document == facts.transport_document:
        return [("transport_document", "exact")]
    if _typo(n.transport_document, facts.transport_document, air_waybill) or (
        _corroborated(facts, n, by_document=False)
        and _swapped(n.transport_document, facts.transport_document)
    ):
        return [("transport_document", "one_edit")]
    if _check_blind(n.transport_document, facts.transport_document):
        return [("transport_document", "check_blind")]
    return [("transport_document", "differ")]


def _check_blind(a: str, b: str) -> bool:
    """Two air waybills, both passing the check digit, one edit apart: an edit the check
    cannot see (a serial digit mistyped by 7, since the check is the serial modulo 7)."""
    return air_waybill(a).valid and air_waybill(b).valid and _one_edit(a, b)


def _name(facts: LineFacts, n: NotificationFacts, p: Parameters) -> list[Comparison]:
    if facts.consignee_eori and facts.consignee_eori == n.importer_eori:
        return [("name", "exact")]  # the same registered operator, however it is written
    similarity = name_similarity(facts.consignee, n.importer)
    if similarity >= p.name_exact_score:
        return [("name", "exact")]
    if similarity >= p.name_fuzzy_score:
        return [("name", "fuzzy")]
    return [("name", "differ")]


def name_similarity(consignee: str, importer: str) -> float:
    """0-100; token sets, so word order and an extra word ("import", "holding") matter little."""
    return float(fuzz.token_set_ratio(consignee, importer))


def _vessel(facts: LineFacts, n: NotificationFacts) -> list[Comparison]:
    if not facts.vessel or not n.vessel:
        return []
    return [("vessel", "same" if facts.vessel == n.vessel else "differ")]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _goods(
    goods: Sequence[Goods], n: NotificationFacts, indicators: IndicatorSet
) -> list[Comparison]:
    """CN prefix agreement at 8, 6, 4 or 2 digits; for goods without a usable code, the
    descriptions compared with rapidfuzz."""
    coded = [g.hs_code for g in goods if g.hs_code and not indicators.is_generic(g.hs_code)]
    if coded:
        best = max(_common_prefix(code, c.hs_code or "") for code in coded for c in n.commodities)
        # Below 4 digits (another heading or chapter) the notification is for other goods than
        # the manifest says: that caps the candidate at review.
        for digits in (8, 6, 4, 2):
            if best >= digits:
                return [("goods", str(digits))]
        return [("goods", "differ")]
    headings = tuple(h for g in goods for h in g.headings)
    if headings:
        # The description named the goods (a keyword): the notified codes must be of them.
        agree = any((c.hs_code or "").startswith(headings) for c in n.commodities)
        return [("goods", "keyword" if agree else "differ")]
    similarity = max(
        (fuzz.token_set_ratio(g.description, c.description) for g in goods for c in n.commodities),
        default=0.0,
    )
    if similarity >= indicators.parameters.description_fuzzy_score:
        return [("description", "fuzzy")]
    return [("description", "differ")]


def _weight(covered_gross_kg: float, n: NotificationFacts, p: Parameters) -> list[Comparison]:
    """Notified net mass against the gross mass of all the lines the notification covers."""
    if covered_gross_kg <= 0:
        return []
    ratio = n.net_mass_kg / covered_gross_kg
    if p.weight_within[0] <= ratio <= p.weight_within[1]:
        return [("weight", "within")]
    if p.weight_far_off[0] <= ratio <= p.weight_far_off[1]:
        return [("weight", "near")]
    return [("weight", "far_off")]


def _arrival(eta: datetime, n: NotificationFacts, p: Parameters) -> Comparison:
    apart = abs((n.expected_arrival - eta).total_seconds())
    return ("arrival", "within" if apart <= p.arrival_window_hours * 3600 else "outside")


def _bcp(facts: LineFacts, port: str, n: NotificationFacts, indicators: IndicatorSet) -> Comparison:
    """The same BCP, by code and mode: NLAMS by air and NLSPL are both Schiphol, NLAMS4 is not
    the seaport; NLAMS notified without a mode may be either. The same LOCODE where either side
    is no BCP the table knows."""
    here = indicators.bcp(port, facts.mode)
    notified = indicators.bcps.candidates(n.bcp, n.mode)
    if here is not None and notified:
        same = any(b.code == here.code for b in notified)
    else:
        same = port == n.bcp[:5]
    if same:
        return ("bcp", "same")
    if n.transfer and n.inspection_point and n.inspection_point.upper()[:5] == port[:5]:
        return ("bcp", "transfer")
    return ("bcp", "differ")


def best(scores: Iterable[Score]) -> Score | None:
    return max(scores, key=lambda s: (s.total, s.notification.reference), default=None)
