"""Seeded days at Dutch entry points, with the ground truth of every manifest line.

A day is a replay file (contracts.md): the manifests of a few vessel calls at Rotterdam or
flights at Schiphol, the pre-notifications of their importers, ETA updates, arrivals and the
health of the pre-notification feeds, as received up to the end of the day; and the status the
matcher should give every manifest line at that moment. The generator first decides what is
true (which pre-notification covers which line, whether it was made in time, which one only
looks like it does) and then writes the records the way real parties write them: container
numbers with a typo, company names spelt differently, HS codes missing, amendments,
cancellations, a feed that goes down. The expected statuses follow from those intentions
(`expected_statuses`), never from matching the records.
"""

from __future__ import annotations

import json
import random
import re
import string
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar
from zoneinfo import ZoneInfo

import holidays

from pnm.cli.scenario_catalogue import (
    CONTROLLED,
    EXPORT_PLACES,
    FISHERY_AGREEMENT_ORIGINS,
    FLIGHTS,
    FORWARDERS,
    GENERAL_EXPORTERS,
    HOUSE_BILLS,
    IMPORTERS,
    OTHER_CHAPTER,
    ROUTES,
    TERMINALS_RTM,
    TRADE_NAMES,
    UNCONTROLLED,
    UNSPECIFIED_DESCRIPTIONS,
    VESSEL_NAME_STYLES,
    VESSEL_NAME_WORDS,
    VET_AGREEMENT_ORIGINS,
    Company,
    Flight,
    Goods,
    Route,
)
from pnm.cli.scenarios import ScenarioEvent, container
from pnm.shared.contracts.records import (
    ACTIVE_STATUSES,
    Arrival,
    Commodity,
    Control,
    DecisionStatus,
    EtaUpdate,
    FeedStatus,
    GoodsItem,
    ManifestLine,
    Mode,
    Party,
    PreNotification,
    PreNotificationStatus,
    Procedure,
    Regime,
    TransportDocument,
)

if TYPE_CHECKING:
    from pnm.cli.scenario_families import Family

Kind = Literal["rotterdam", "schiphol"]
OutageKind = Literal["none", "ongoing", "recovered"]
T = TypeVar("T")

# --- The ground truth: pure functions of what the generator intended ---------------------------

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ARRIVAL_GRACE = timedelta(hours=6)  # no arrival event: the line counts as arrived at ETA + grace
HOURS_NOTICE = {"NLSPL": timedelta(hours=4), "NLMST": timedelta(hours=4)}  # BCP derogations
# A flight's port of discharge is often its city's code: by air, NLAMS is Schiphol's NLSPL.
AIRPORTS_BY_CITY = {"NLAMS": "NLSPL"}
# Wood (plant-health goods of chapter 44) at Rotterdam: five Dutch working days of notice.
WOOD_WORKING_DAYS = {"NLRTM": 5}
_NL_HOLIDAYS = holidays.country_holidays("NL")
SEVERITY = (
    DecisionStatus.NOT_CONTROLLED,
    DecisionStatus.EXEMPT,
    DecisionStatus.NOTIFIED,
    DecisionStatus.NOTIFIED_LATE,
    DecisionStatus.AWAITING_NOTIFICATION,
    DecisionStatus.OVERDUE,
    DecisionStatus.REVIEW,
    DecisionStatus.INVALID_NOTIFICATION,
    DecisionStatus.UNNOTIFIED,
)


@dataclass(frozen=True)
class Notice:
    """A pre-notification as it stands at the end of the day (its latest version received)."""

    reference: str
    submitted_at: datetime
    active: bool  # submitted or validated; not cancelled, rejected or replaced


@dataclass(frozen=True)
class Claim:
    """A pre-notification shares a key with one regime of a line."""

    reference: str
    fits: bool  # goods, weight and arrival agree: it covers the line; otherwise review


@dataclass(frozen=True)
class RegimeFacts:
    regime: Regime
    exempt: bool
    gross_kg: float  # of the line's goods of this regime
    claims: tuple[Claim, ...] = ()
    wood: bool = False  # plant-health goods of chapter 44: the wood notice applies


@dataclass(frozen=True)
class LineTruth:
    """What the generator made a line to be, from which its expected status follows (not the
    matcher's `LineFacts`, which it reads from a manifest line)."""

    manifest_id: str
    line_id: str
    port: str
    eta: datetime  # the latest, after ETA updates
    arrived: bool  # an arrival event for the whole call or for the line's containers
    withdrawn: bool
    regimes: tuple[RegimeFacts, ...]  # the controlled regimes of its goods
    by_air: bool = False  # its port of discharge is that of a flight
    family: str | None = None  # the issue-16 family (and case) it was made for


@dataclass(frozen=True)
class DayFacts:
    now: datetime  # the end of the day: when the statuses are due
    lines: tuple[LineTruth, ...]
    notices: Mapping[str, Notice]
    emergencies: frozenset[Regime]  # regimes whose feed is in an emergency at `now`


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _NL_HOLIDAYS


def lead_time_deadline(
    eta: datetime, port: str, *, by_air: bool = False, wood: bool = False
) -> datetime:
    """One Dutch working day before the ETA at the same Amsterdam clock time, or the hours of
    notice a BCP grants instead; for wood, the working days the port asks for it."""
    if by_air:
        port = AIRPORTS_BY_CITY.get(port, port)
    if wood and port in WOOD_WORKING_DAYS:
        return working_days_before(eta, WOOD_WORKING_DAYS[port])
    if port in HOURS_NOTICE:
        return eta - HOURS_NOTICE[port]
    return working_days_before(eta, 1)


def working_days_before(eta: datetime, count: int) -> datetime:
    """`count` Dutch working days before the ETA, at the same Amsterdam clock time."""
    local = eta.astimezone(AMSTERDAM)
    day = local.date()
    for _ in range(count):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    return datetime.combine(day, local.time(), tzinfo=AMSTERDAM).astimezone(UTC)


def expected_statuses(facts: DayFacts) -> list[dict[str, str]]:
    rows = [
        {"manifest_id": line.manifest_id, "line_id": line.line_id, "status": status.value}
        for line in facts.lines
        for status in [line_status(line, facts)]
    ]
    return sorted(rows, key=lambda row: (row["manifest_id"], row["line_id"]))


def line_status(line: LineTruth, facts: DayFacts) -> DecisionStatus:
    if line.withdrawn or not line.regimes:
        return DecisionStatus.NOT_CONTROLLED
    statuses = [regime_status(line, regime, facts) for regime in line.regimes]
    return max(statuses, key=SEVERITY.index)


def regime_status(line: LineTruth, regime: RegimeFacts, facts: DayFacts) -> DecisionStatus:
    if regime.exempt:
        return DecisionStatus.EXEMPT
    covering = [facts.notices[c.reference] for c in regime.claims if c.fits]
    active = [notice for notice in covering if notice.active]
    deadline = lead_time_deadline(line.eta, line.port, by_air=line.by_air, wood=regime.wood)
    if active:
        in_time = any(notice.submitted_at <= deadline for notice in active)
        return DecisionStatus.NOTIFIED if in_time else DecisionStatus.NOTIFIED_LATE
    if any(not c.fits and facts.notices[c.reference].active for c in regime.claims):
        return DecisionStatus.REVIEW
    if covering:
        return DecisionStatus.INVALID_NOTIFICATION
    return without_notification(line, facts.now, deadline, regime.regime in facts.emergencies)


def without_notification(
    line: LineTruth, now: datetime, deadline: datetime, feed_emergency: bool
) -> DecisionStatus:
    if line.arrived or now >= line.eta + ARRIVAL_GRACE:
        status = DecisionStatus.UNNOTIFIED
    elif now >= deadline:
        status = DecisionStatus.OVERDUE
    else:
        return DecisionStatus.AWAITING_NOTIFICATION
    # While the regime's feed is down, missing notifications may just not have come through.
    return DecisionStatus.AWAITING_NOTIFICATION if feed_emergency else status


# --- Identifiers and the ways people write them ---------------------------------------------

LEGAL_FORMS = {
    "B.V.": ("BV", "B.V", "Besloten Vennootschap"),
    "N.V.": ("NV", "Naamloze Vennootschap"),
    "GmbH": ("GMBH", "G.m.b.H."),
    "Ltd": ("Ltd.", "Limited"),
    "ApS": ("APS",),
    "S.L.": ("SL",),
}


TEMPLATE_CHARACTERS = {"A": string.ascii_uppercase, "9": string.digits}


def fill(template: str, rng: random.Random) -> str:
    """`A` becomes a random letter, `9` a random digit."""
    pool = TEMPLATE_CHARACTERS
    return "".join(rng.choice(pool[c]) if c in pool else c for c in template)


def imo_number(rng: random.Random) -> str:
    digits = [9, *(rng.randrange(10) for _ in range(5))]
    check = sum(d * w for d, w in zip(digits, range(7, 1, -1), strict=True)) % 10
    return "".join(map(str, digits)) + str(check)


def air_waybill(prefix: str, rng: random.Random) -> str:
    """IATA air waybill: airline prefix, 7-digit serial, check digit = serial mod 7."""
    serial = rng.randrange(1_000_000, 10_000_000)
    return f"{prefix}-{serial:07d}{serial % 7}"


_NOT_ALPHANUMERIC = re.compile(r"[\W_]")


def normalised(identifier: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", identifier.upper())


def mistyped(identifier: str, rng: random.Random, first: int = 0) -> str:
    """One character replaced by another of its kind (a digit by a digit, a letter by a
    letter), at or after position `first`."""
    positions = [i for i, c in enumerate(identifier) if c.isalnum() and i >= first]
    i = rng.choice(positions)
    pool = string.digits if identifier[i].isdigit() else string.ascii_uppercase
    return identifier[:i] + rng.choice(pool.replace(identifier[i], "")) + identifier[i + 1 :]


def transposed(identifier: str, rng: random.Random) -> str | None:
    """Two adjacent different digits swapped, or None when there are none."""
    pairs = [
        i
        for i in range(len(identifier) - 1)
        if identifier[i].isdigit()
        and identifier[i + 1].isdigit()
        and identifier[i] != identifier[i + 1]
    ]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return identifier[:i] + identifier[i + 1] + identifier[i] + identifier[i + 2 :]


def name_variant(name: str, rng: random.Random) -> str:
    """The same company as a clerk might write it: one letter wrong, case, punctuation, legal
    form or spacing; once in five, two different ones of these (one typo at most)."""
    styles: list[Callable[[str, random.Random], str]] = [_upper, _legal_form, _comma, _double_space]
    changes = rng.sample([_letter_typo, *styles], 2 if rng.random() < 0.2 else 1)
    changes.sort(key=lambda change: change is not _letter_typo)  # the typo in the plain name
    variant = name
    for change in changes:
        variant = change(variant, rng)
    return variant if variant != name else name.upper()


def _upper(name: str, rng: random.Random) -> str:
    return name.upper()


def _split_legal_form(name: str) -> tuple[str, str | None]:
    for form in LEGAL_FORMS:
        if name.endswith(" " + form):
            return name[: -len(form) - 1], form
    return name, None


def _legal_form(name: str, rng: random.Random) -> str:
    body, form = _split_legal_form(name)
    if form is None:
        return name
    return body if rng.random() < 0.25 else f"{body} {rng.choice(LEGAL_FORMS[form])}"


def _comma(name: str, rng: random.Random) -> str:
    body, form = _split_legal_form(name)
    return f"{body}, {form}" if form else name.replace(".", "")


def _double_space(name: str, rng: random.Random) -> str:
    words = name.split(" ")
    if len(words) < 2:
        return name
    i = rng.randrange(1, len(words))
    return " ".join(words[:i]) + "  " + " ".join(words[i:])


def _letter_typo(name: str, rng: random.Random) -> str:
    body, form = _split_legal_form(name)
    words = body.split(" ")
    longest = max(range(len(words)), key=lambda i: len(words[i]))
    word = words[longest]
    if len(word) < 5:
        return name
    i = rng.randrange(1, len(word) - 1)
    if rng.random() < 0.5:
        word = word[:i] + word[i + 1 :]
    else:
        word = word[:i] + rng.choice("aeiourstn".replace(word[i].lower(), "")) + word[i + 1 :]
    words[longest] = word
    return " ".join(words) + (f" {form}" if form else "")


def quoted_reference(reference: str, rng: random.Random) -> str:
    """A CHED reference as a manifest clerk types it into the document references."""
    return reference if rng.random() < 0.7 else reference.replace(".", " ")


class KeyRegistry:
    """Identifiers of one kind handed out in a day, so that no two that belong to different
    consignments are one typo apart (which would make a deliberate typo ambiguous). Two
    identifiers whose normalised forms become equal after deleting at most one character from
    each are near: that covers one substitution, insertion, deletion or adjacent swap."""

    def __init__(self) -> None:
        # Per normalised form and shadow, its owner: never two, as a claim near another
        # owner's identifier is refused.
        self._owners: dict[str, str] = {}

    @staticmethod
    def _shadows(identifier: str) -> list[str]:
        text = normalised(identifier)
        return [text, *(text[:i] + text[i + 1 :] for i in range(len(text)))]

    def claim(self, identifier: str, owner: str) -> bool:
        """Register `identifier` for `owner`, unless it is near another owner's identifier."""
        shadows, owners = self._shadows(identifier), self._owners
        for s in shadows:
            if owners.get(s, owner) != owner:
                return False
        self._owners.update(dict.fromkeys(shadows, owner))
        return True

    def claim_variant(self, variant: str, original: str) -> bool:
        """Register a deliberate misspelling of `original` for the same owner."""
        return self.claim(variant, self._owners[normalised(original)])


# --- The generator's plan ---------------------------------------------------------------------

CallCategory = Literal["arrived", "unannounced", "discharging", "tonight", "tomorrow", "later"]
# Original ETA per kind of call: (day offset, earliest minute, latest minute), Amsterdam time.
ETA_WINDOWS: dict[Kind, dict[CallCategory, tuple[int, int, int]]] = {
    "rotterdam": {
        "arrived": (0, 0, 18 * 60),
        "unannounced": (0, 60, 12 * 60),  # no arrival event comes: ETA + grace decides
        "discharging": (0, 16 * 60 + 30, 19 * 60 + 30),  # arrival events per container
        "tonight": (0, 18 * 60, 23 * 60 + 45),
        "tomorrow": (1, 0, 23 * 60 + 45),
        "later": (2, 0, 36 * 60),
    },
    "schiphol": {
        "arrived": (0, 4 * 60, 20 * 60 + 45),
        "unannounced": (0, 5 * 60, 14 * 60),
        "tonight": (0, 22 * 60, 25 * 60 + 30),
        "tomorrow": (1, 6 * 60, 16 * 60),
    },
}
ARRIVED_SHARE: dict[Kind, float] = {"rotterdam": 0.45, "schiphol": 0.55}
OTHER_CATEGORIES: dict[Kind, tuple[CallCategory, ...]] = {
    "rotterdam": ("tomorrow", "later", "unannounced", "discharging", "tonight"),
    "schiphol": ("tonight", "tomorrow", "unannounced"),
}
LINES_PER_CALL: dict[Kind, tuple[int, int]] = {"rotterdam": (100, 240), "schiphol": (40, 130)}
ETA_UPDATE_SHARE: dict[Kind, float] = {"rotterdam": 0.3, "schiphol": 0.2}
# Hours an ETA update moves the arrival earlier, and later.
ETA_CHANGE_HOURS: dict[Kind, tuple[tuple[float, float], tuple[float, float]]] = {
    "rotterdam": ((1, 3), (2, 14)),
    "schiphol": ((0.25, 0.75), (0.5, 3)),
}
ARRIVAL_DRIFT: dict[Kind, tuple[int, int]] = {"rotterdam": (-40, 100), "schiphol": (-20, 40)}
END_OF_DAY = time(21, 50)
FEEDS: tuple[Literal["client-import", "vgc"], ...] = ("client-import", "vgc")

Scenario = Literal[
    "on_time",
    "late",
    "missing",
    "cancelled",
    "resubmitted",
    "review_goods",
    "review_weight",
    "moved",
]
SCENARIOS: dict[Scenario, float] = {
    "on_time": 60,
    "late": 9,
    "missing": 14,
    "cancelled": 3,
    "resubmitted": 4,
    "review_goods": 2.5,
    "review_weight": 2.5,
    "moved": 2.5,
}
GROUP_SCENARIOS: dict[Scenario, float] = {"on_time": 75, "late": 10, "missing": 10, "cancelled": 5}
Key = Literal[
    "containers",
    "pn_typo",
    "pn_transposed",
    "manifest_typo",
    "manifest_transposed",
    "document",
    "document_typo",
    "quoted",
    "vessel_and_importer",
]
SEA_KEYS: dict[Key, float] = {
    "containers": 58,
    "pn_typo": 6,
    "pn_transposed": 4,
    "manifest_typo": 4,
    "manifest_transposed": 3,
    "document": 12,
    "document_typo": 3,
    "quoted": 5,
    "vessel_and_importer": 5,
}
AIR_KEYS: dict[Key, float] = {
    "document": 68,
    "document_typo": 7,
    "quoted": 8,
    "vessel_and_importer": 17,
}
TYPO_KEYS = ("pn_typo", "pn_transposed", "manifest_typo", "manifest_transposed", "document_typo")
CONTROLLED_SHARE = 0.4
K = TypeVar("K")


@dataclass(frozen=True)
class Outage:
    """A pre-notification feed goes silent; the authority declares an emergency."""

    system: Literal["client-import", "vgc"]
    regime: Regime
    silent_from: datetime
    declared_at: datetime
    restored_at: datetime | None  # None: still down at the end of the day


@dataclass
class Call:
    """One vessel call or flight: one manifest."""

    manifest_id: str
    mode: Mode
    port: str
    terminal: str
    loading: str
    origins: tuple[str, ...]
    category: CallCategory
    size: int  # manifest lines
    eta0: datetime  # as first announced
    filed_at: datetime
    route: Route | None = None
    vessel: tuple[str, str, str] | None = None  # name, IMO, voyage
    flight: Flight | None = None
    eta: datetime = field(init=False)  # the latest
    eta_update_at: datetime | None = None
    arrival_at: datetime | None = None  # the whole call
    lines: list[PlannedLine] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.eta = self.eta0

    def eta_known_at(self, at: datetime) -> datetime:
        updated = self.eta_update_at is not None and at >= self.eta_update_at
        return self.eta if updated else self.eta0

    @property
    def deadlines(self) -> tuple[datetime, datetime]:
        """The lead-time deadline before and after the ETA update, earliest first."""
        first, last = (lead_time_deadline(e, self.port) for e in (self.eta0, self.eta))
        return min(first, last), max(first, last)


@dataclass
class Item:
    goods: Goods
    origin: str
    gross_kg: float
    hs_code: str | None  # as the manifest gives it
    description: str


@dataclass
class PlannedLine:
    call: Call
    line_id: str
    items: list[Item]
    company: Company
    consignee: Party
    consignor: Party
    procedure: Procedure
    containers: list[str]  # as they really are
    document: TransportDocument
    filed_at: datetime
    group: int | None = None  # lines of one group share one pre-notification
    withdrawn: bool = False  # an amendment withdraws the line
    manifest_containers: list[str] = field(default_factory=list)  # as the manifest has them
    references: list[str] = field(default_factory=list)  # quoted pre-notifications
    mistyped: bool = False  # one of its keys carries a deliberate typo (one per line)
    container_fixed: bool = False  # an amendment corrects the manifest's container typo
    by_vessel: bool = False  # a pre-notification relies on vessel/flight and importer
    final: ManifestLine | None = None  # the latest version received
    family: str | None = None  # an issue-16 family's line (scenario_families.py), notified there
    port: str | None = None  # its port of discharge as written, when not the call's

    @property
    def key(self) -> str:
        return f"{self.call.manifest_id}/{self.line_id}"

    def item(self, regime: Regime) -> Item:
        return next(i for i in self.items if i.goods.regime is regime)

    @cached_property
    def regimes(self) -> list[Regime]:  # once: the items' goods never change
        return list(dict.fromkeys(i.goods.regime for i in self.items if i.goods.regime))

    def exempt(self, regime: Regime) -> bool:
        return all(_exempt(i, self.procedure) for i in self.items if i.goods.regime is regime)

    def wood(self, regime: Regime) -> bool:
        """Plant-health goods of chapter 44: the wood notice applies."""
        return regime is Regime.PHYTO and self.item(regime).goods.hs_code.startswith("44")


PROCEDURE_SHARES: dict[Mode, dict[str, float]] = {
    Mode.SEA: {"import": 86.0, "transhipment": 8.0, "transit": 3.0, "warehouse": 3.0},
    Mode.AIR: {"import": 93.0, "transit": 4.0, "warehouse": 3.0},
}


# The generator draws from the same few weighted lists for every line: their running totals
# once (`random.choices` draws exactly the same with them as with the weights).
@lru_cache
def _cumulative(weighted: tuple[tuple[K, float], ...]) -> tuple[list[K], list[float]]:
    return [option for option, _ in weighted], list(accumulate(w for _, w in weighted))


@lru_cache
def _eligible_goods(
    mode: Mode, origins: tuple[str, ...], regime: Regime | None
) -> tuple[tuple[Goods, ...], list[float]]:
    """The controlled goods a call can carry, with their running total of shares."""
    goods = tuple(
        g
        for g in CONTROLLED
        if mode.value in g.modes
        and set(g.origins) & set(origins)
        and (regime is None or g.regime is regime)
    )
    return goods, list(accumulate(g.share for g in goods))


@lru_cache
def _party(name: str, country: str) -> Party:
    """One record for all lines of a shipper (records are immutable)."""
    return Party(name=name, country=country)


_UNCONTROLLED_CUMULATIVE = list(accumulate(g.share for g in UNCONTROLLED))
_IMPORTERS_BY_TRADE = {
    trade: [c for c in IMPORTERS if trade in c.trades] for c in IMPORTERS for trade in c.trades
}


def _exempt(item: Item, procedure: Procedure) -> bool:
    goods, origin = item.goods, item.origin
    if goods.regime is Regime.PHYTO:
        not_for_eu = procedure in (Procedure.TRANSIT, Procedure.TRANSHIPMENT)
        return not_for_eu or goods.certificate_exempt
    return origin in VET_AGREEMENT_ORIGINS or (
        goods.fishery and origin in FISHERY_AGREEMENT_ORIGINS
    )


Coverage = list[tuple[PlannedLine, Regime, bool]]  # (line, regime, fits)


@dataclass
class Version:
    """One version of a pre-notification as its sender made it, and what it truly covers."""

    at: datetime  # when the feed would deliver it
    record: PreNotification
    claims: Coverage


@dataclass
class Continuity:
    """What consecutive days of one file share, so that the days read as one stream: the CHED
    reference sequences run on (no reference is handed out twice) and no manifest id recurs."""

    sequences: dict[str, int] | None = None  # the next day starts after these
    manifests: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Day:
    events: list[ScenarioEvent]
    expected: list[dict[str, str]]
    facts: DayFacts
    situations: dict[str, int]  # how often each deliberate situation was written


class _DayBuilder:
    def __init__(
        self,
        kind: Kind,
        seed: int,
        base: date,
        lines: int,
        outage: OutageKind,
        options: DayOptions,
    ) -> None:
        self.kind, self.base, self.target, self.options = kind, base, lines, options
        self.rng = random.Random(seed)
        self.lines = lines
        self.family_quotas: dict[Family, int] = {}
        if options.families:
            from pnm.cli.scenario_families import family_lines

            self.family_quotas = family_lines(options.families, lines)
            self.target = max(1, lines - sum(self.family_quotas.values()))
        self.port = "NLRTM" if kind == "rotterdam" else "NLSPL"
        self.end = self.local(0, END_OF_DAY.hour * 60 + END_OF_DAY.minute)
        self.outage = self._outage(outage)
        self.events: list[ScenarioEvent] = []
        self.containers, self.documents = KeyRegistry(), KeyRegistry()
        self.sequences = {ched: self.rng.randrange(100_000, 900_000) for ched in ("PP", "P", "A")}
        continuity = options.continuity
        if continuity is not None and continuity.sequences is not None:
            self.sequences = dict(continuity.sequences)
        self.notices: dict[str, Notice] = {}
        self.coverage: dict[str, Coverage] = {}  # per reference, of its latest version
        self.arrived: set[str] = set()  # line keys
        self.uncontrolled: dict[str, list[PlannedLine]] = {}  # lines per manifest id, once planned
        self.seen: Counter[str] = Counter()
        self.groups = 0
        self.backlog = 0

    # Randomness and time.

    def local(self, day_offset: int, minutes: float) -> datetime:
        midnight = datetime.combine(self.base + timedelta(days=day_offset), time(), AMSTERDAM)
        return (midnight + timedelta(minutes=minutes)).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.randrange(int((end - start).total_seconds())))

    def hours(self, lo: float, hi: float) -> timedelta:
        """A random span between `lo` and `hi` hours, in whole seconds."""
        return timedelta(seconds=self.rng.randrange(round(lo * 3600), round(hi * 3600)))

    def pick(self, weights: Mapping[K, float]) -> K:
        weighted = _cumulative(tuple(weights.items()))
        options: list[K] = weighted[0]
        return self.rng.choices(options, cum_weights=weighted[1])[0]

    def choose(self, options: Sequence[T]) -> T:
        return self.rng.choice(options)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    # The day.

    def build(self) -> Day:
        calls = self._calls()
        if self.options.continuity is not None:
            self._keep_apart(calls, self.options.continuity)
        for call in calls:
            self._plan_lines(call)
        if self.options.families:
            self._plan_families(calls)
        for call in calls:
            self._notify_call(call)
        for call in calls:
            for line in call.lines:
                self._emit_line(line)
            self._emit_call(call)
        if self.options.feeds:
            self._emit_feeds()
        if self.options.continuity is not None:
            self.options.continuity.sequences = dict(self.sequences)
        self.events.sort(key=lambda event: event.time)
        facts = DayFacts(
            now=self.end,
            lines=self._facts(calls),
            notices=dict(self.notices),
            emergencies=frozenset(
                [self.outage.regime] if self.outage and not self.outage.restored_at else []
            ),
        )
        return Day(self.events, expected_statuses(facts), facts, dict(sorted(self.seen.items())))

    def _plan_families(self, calls: list[Call]) -> None:
        """The families' lines and pre-notifications; ordinary lines make up any they left."""
        from pnm.cli.scenario_families import FamilyPlanner

        FamilyPlanner(self, self.family_quotas).plan(calls)
        calls[0].size += self.lines - sum(len(call.lines) for call in calls)
        self._plan_lines(calls[0])

    def _outage(self, kind: OutageKind) -> Outage | None:
        if kind == "none":
            return None
        if kind == "ongoing":  # VGC goes down in the morning and stays down
            silent = self.local(0, self.rng.randrange(8 * 60 + 30, 10 * 60))
            declared = silent + timedelta(minutes=self.rng.randrange(30, 60))
            return Outage("vgc", Regime.VET, silent, declared, None)
        silent = self.local(0, self.rng.randrange(7 * 60, 8 * 60))  # Client Import, a morning
        declared = silent + timedelta(minutes=self.rng.randrange(35, 70))
        restored = declared + timedelta(minutes=self.rng.randrange(150, 260))
        return Outage("client-import", Regime.PHYTO, silent, declared, restored)

    # Calls.

    def _calls(self) -> list[Call]:
        sizes = self._call_sizes()
        # About half the calls have arrived; then one of each other kind, as far as they go.
        arrived = max(1, round(len(sizes) * ARRIVED_SHARE[self.kind]))
        others = OTHER_CATEGORIES[self.kind][: len(sizes) - arrived]
        rest: list[CallCategory] = ["arrived"] * (len(sizes) - len(others))
        categories = [*others, *rest]
        self.rng.shuffle(categories)
        if self.kind == "rotterdam":
            ships = [(route, vessel) for route in ROUTES for vessel in route.vessels]
            if len(sizes) > len(ships):
                ships += self._more_ships(len(sizes) - len(ships), {v for _, v in ships})
            chosen = self.rng.sample(ships, len(sizes))
            calls = [
                self._vessel_call(route, vessel, category, eta, size)
                for (route, vessel), category, eta, size in zip(
                    chosen, categories, self._etas(categories), sizes, strict=True
                )
            ]
        else:
            fleet = list(FLIGHTS)
            while len(fleet) < len(sizes):
                fleet.append(self._another_flight({f.number for f in fleet}))
            flights = self.rng.sample(fleet, len(sizes))
            calls = [
                self._flight(flight, category, eta, size)
                for flight, category, eta, size in zip(
                    flights, categories, self._etas(categories), sizes, strict=True
                )
            ]
        delayed = self.rng.sample(calls, max(1, round(len(calls) * ETA_UPDATE_SHARE[self.kind])))
        for call in calls:
            self._schedule(call, updated=call in delayed)
        return calls

    def _more_ships(self, count: int, taken: set[str]) -> list[tuple[Route, str]]:
        """Further vessels of the liner services, named in their carrier's style, for a day with
        more calls than the catalogue has ships (only then: a day that fits stays as it was)."""
        ships: list[tuple[Route, str]] = []
        while len(ships) < count:
            route = self.choose(ROUTES)
            name = VESSEL_NAME_STYLES[route.carrier].format(self.choose(VESSEL_NAME_WORDS))
            while name in taken:
                name += " II" if not name.endswith("I") else "I"
            taken.add(name)
            ships.append((route, name))
        return ships

    def _another_flight(self, taken: set[str], like: Flight | None = None) -> Flight:
        """Another flight of an airline of the catalogue (of `like`'s, if given), from the same
        airport, with a flight number not in `taken`."""
        like = like or self.choose(FLIGHTS)
        number = like.number
        while number in taken:
            number = f"{like.number[:2]}{self.rng.randrange(1, 10_000):04d}"
        return replace(like, number=number)

    def _keep_apart(self, calls: list[Call], continuity: Continuity) -> None:
        """A call whose manifest id an earlier day of the file already used gets another
        vessel IMO and voyage, or another flight number: the same id would merge two manifests."""
        for call in calls:
            while call.manifest_id in continuity.manifests:
                if call.vessel is not None:
                    name, imo = call.vessel[0], imo_number(self.rng)
                    voyage = f"{self.rng.randint(100, 699)}{self.choose('WENS')}"
                    call.vessel, call.manifest_id = (name, imo, voyage), f"NLRTM-{imo}-{voyage}"
                else:
                    assert call.flight is not None
                    taken = {c.flight.number for c in calls if c.flight}
                    call.flight = self._another_flight(taken, like=call.flight)
                    eta = call.eta0.astimezone(AMSTERDAM)
                    call.manifest_id = f"NLSPL-{call.flight.number}-{eta:%Y%m%d}"
            continuity.manifests.add(call.manifest_id)

    def _call_sizes(self) -> list[int]:
        """Lines per call, summing to the target; calls of uneven but comparable size."""
        lo, hi = LINES_PER_CALL[self.kind]
        count = max(1, round(2 * self.target / (lo + hi)))
        weights = [self.rng.uniform(0.6, 1.4) for _ in range(count)]
        sizes = [max(1, int(self.target * w / sum(weights))) for w in weights]
        sizes[0] += self.target - sum(sizes)
        return sizes

    def _etas(self, categories: list[CallCategory]) -> list[datetime]:
        """Original ETAs on the quarter hour, spread over the window of their kind of call: the
        i-th of n calls of a kind comes in the i-th n-th of the window."""
        total, seen = Counter(categories), Counter[CallCategory]()
        etas = []
        for category in categories:
            day, lo, hi = ETA_WINDOWS[self.kind][category]
            share, n = seen[category], total[category]
            seen[category] += 1
            first = (lo + (hi - lo) * share // n) // 15
            last = (lo + (hi - lo) * (share + 1) // n) // 15
            etas.append(self.local(day, 15 * self.rng.randint(first, max(first, last - 1))))
        return etas

    def _vessel_call(
        self, route: Route, vessel: str, category: CallCategory, eta: datetime, size: int
    ) -> Call:
        imo, voyage = imo_number(self.rng), f"{self.rng.randint(100, 699)}{self.choose('WENS')}"
        filed = min(
            eta - self.hours(14, 52),
            self.end - self.hours(0.5, 8),
        )
        call = Call(
            manifest_id=f"NLRTM-{imo}-{voyage}",
            mode=Mode.SEA,
            port=self.port,
            terminal=self.choose(TERMINALS_RTM),
            loading=self.choose(route.loading),
            origins=route.origins,
            category=category,
            size=size,
            eta0=eta,
            filed_at=filed,
            route=route,
            vessel=(vessel, imo, voyage),
        )
        return call

    def _flight(self, flight: Flight, category: CallCategory, eta: datetime, size: int) -> Call:
        filed = min(
            eta - self.hours(1.5, 7),
            self.end - self.hours(0.3, 3),
        )
        call = Call(
            manifest_id=f"NLSPL-{flight.number}-{eta.astimezone(AMSTERDAM):%Y%m%d}",
            mode=Mode.AIR,
            port=self.port,
            terminal=flight.handler,
            loading=flight.loading,
            origins=flight.origins,
            category=category,
            size=size,
            eta0=eta,
            filed_at=filed,
            flight=flight,
        )
        return call

    def _schedule(self, call: Call, updated: bool) -> None:
        """The ETA update and the arrival, when they come before the end of the day."""
        earliest = call.filed_at + timedelta(minutes=30)
        latest = min(call.eta0 - timedelta(minutes=30), self.end - timedelta(minutes=20))
        if updated and earliest < latest:
            call.eta_update_at = self.between(earliest, latest)
            earlier, later = ETA_CHANGE_HOURS[self.kind]
            hours = -self.rng.uniform(*earlier) if self.chance(0.2) else self.rng.uniform(*later)
            call.eta = call.eta0 + timedelta(minutes=15 * round(hours * 4))
            self.seen["ETA update"] += 1
        if call.category == "arrived":
            at = max(
                call.eta + timedelta(minutes=self.rng.randint(*ARRIVAL_DRIFT[self.kind])),
                call.filed_at + timedelta(minutes=30),
                (call.eta_update_at or call.filed_at) + timedelta(minutes=10),
            )
            call.arrival_at = at if at <= self.end - timedelta(minutes=10) else None

    def _first_discharge(self, call: Call) -> datetime | None:
        if call.category != "discharging":
            return None
        start = call.eta + timedelta(minutes=45)
        return start if start < self.end - timedelta(minutes=30) else None

    # Manifest lines.

    def _plan_lines(self, call: Call) -> None:
        while len(call.lines) < call.size:
            if not self.chance(self.options.controlled_share):
                self._add_line(call, [self._uncontrolled_item(call)])
                continue
            item = self._controlled_item(call)
            room = call.size - len(call.lines)
            if room >= 2 and self.chance(0.05):
                self._add_group(call, item, min(room, self.rng.randint(2, 5)))
            elif self.chance(0.04):
                self._add_line(call, [item, *self._other_regime_item(call, item)])
            else:
                self._add_line(call, [item])

    def _eligible(self, call: Call, regime: Regime | None = None) -> tuple[Goods, ...]:
        return _eligible_goods(call.mode, call.origins, regime)[0]

    def _controlled_item(self, call: Call, regime: Regime | None = None) -> Item:
        goods, cumulative = _eligible_goods(call.mode, call.origins, regime)
        chosen = self.rng.choices(goods, cum_weights=cumulative)[0]
        origin = self.choose([o for o in chosen.origins if o in call.origins])
        return self._item(call, chosen, origin)

    def _other_regime_item(self, call: Call, item: Item) -> list[Item]:
        other = Regime.VET if item.goods.regime is Regime.PHYTO else Regime.PHYTO
        if not self._eligible(call, other):
            return []
        second = self._controlled_item(call, other)
        # Groupage: the second consignment is the smaller part of the container.
        second.gross_kg = round(item.gross_kg * self.rng.uniform(0.15, 0.4))
        item.gross_kg -= second.gross_kg
        self.seen["mixed line: plant and animal goods, one pre-notification each"] += 1
        return [second]

    def _uncontrolled_item(self, call: Call) -> Item:
        goods = self.rng.choices(UNCONTROLLED, cum_weights=_UNCONTROLLED_CUMULATIVE)[0]
        item = self._item(call, goods, self.choose(call.origins))
        if self.chance(0.08):
            item.hs_code, item.description = None, self.choose(UNSPECIFIED_DESCRIPTIONS)
            self.seen["uncontrolled goods without HS code"] += 1
        return item

    def _item(self, call: Call, goods: Goods, origin: str) -> Item:
        if call.mode is Mode.AIR:
            gross = self.rng.uniform(150, 3200)
        elif goods.regime:
            gross = self.rng.uniform(14_000, 24_500)
        else:
            gross = self.rng.uniform(4_000, 22_000)
        hs_code, description = self._hs_code(goods)
        return Item(goods, origin, round(gross), hs_code, description)

    def _hs_code(self, goods: Goods) -> tuple[str | None, str]:
        description = self.choose(goods.descriptions)
        roll = self.rng.random()
        if goods.regime is None or goods.certificate_exempt:
            return (goods.cn_code if roll < 0.12 else goods.hs_code), description
        if roll < 0.10:
            self.seen["controlled goods without HS code (description only)"] += 1
            return None, description
        if roll < 0.18 and goods.heading:
            self.seen["controlled goods with a 4-digit HS code"] += 1
            return goods.heading, description
        return (goods.cn_code if roll > 0.88 else goods.hs_code), description

    def _procedure(self, call: Call) -> Procedure:
        return Procedure(self.pick(PROCEDURE_SHARES[call.mode]))

    def _add_line(
        self, call: Call, items: list[Item], *, like: PlannedLine | None = None
    ) -> PlannedLine:
        """A new line; `like`: of the same importer, shipper and procedure (a group)."""
        line_id = f"{len(call.lines) + 1:04d}"
        key = f"{call.manifest_id}/{line_id}"
        company = like.company if like else self._company(items[0])
        containers = self._new_containers(call, key)
        line = PlannedLine(
            call=call,
            line_id=line_id,
            items=items,
            company=company,
            consignee=self._consignee(company),
            consignor=like.consignor if like else self._consignor(items[0]),
            procedure=like.procedure if like else self._procedure(call),
            containers=containers,
            document=self._new_document(call, key),
            filed_at=call.filed_at + timedelta(seconds=len(call.lines)),
            group=like.group if like else None,
            withdrawn=like is None and self.chance(0.015),
            manifest_containers=list(containers),
        )
        call.lines.append(line)
        return line

    def _add_group(self, call: Call, item: Item, size: int) -> None:
        """Lines of one importer, shipper and goods that one pre-notification covers."""
        self.groups += 1
        first = self._add_line(call, [item])
        first.group, first.withdrawn, first.procedure = self.groups, False, Procedure.IMPORT
        for _ in range(size - 1):
            self._add_line(call, [self._item(call, item.goods, item.origin)], like=first)

    def _company(self, item: Item) -> Company:
        trade = item.goods.trade if item.goods.regime else "general"
        return self.choose(_IMPORTERS_BY_TRADE[trade])

    def _consignee(self, company: Company) -> Party:
        if self.chance(0.3):
            self.seen["consignee name written differently from the importer"] += 1
            return company.party(name_variant(company.name, self.rng))
        return company.party()

    def _consignor(self, item: Item) -> Party:
        if item.goods.regime is None:
            return _party(self.choose(GENERAL_EXPORTERS), item.origin)
        place, legal_form = EXPORT_PLACES[item.origin]
        return _party(f"{place} {TRADE_NAMES[item.goods.trade]} {legal_form}", item.origin)

    def _new_containers(self, call: Call, owner: str) -> list[str]:
        if call.route is None:
            return []  # air cargo travels in ULDs, not containers
        count = self.rng.choices((1, 2, 3, 4), weights=(78, 14, 6, 2))[0]
        numbers: list[str] = []
        while len(numbers) < count:
            number = container(self.rng.randrange(1_000_000), self.choose(call.route.owner_codes))
            if self.containers.claim(number, owner):
                numbers.append(number)
        return numbers

    def _new_document(self, call: Call, owner: str) -> TransportDocument:
        while True:
            document = self._document(call)
            if self.documents.claim(document.number, owner):
                return document

    def _document(self, call: Call) -> TransportDocument:
        if call.route is not None:
            if self.chance(0.2):
                return TransportDocument(
                    type="HBL", number=fill(self.choose(HOUSE_BILLS), self.rng)
                )
            return TransportDocument(type="BL", number=fill(call.route.bill_template, self.rng))
        assert call.flight is not None
        if self.chance(0.35):
            return TransportDocument(type="HAWB", number=fill(self.choose(HOUSE_BILLS), self.rng))
        return TransportDocument(type="AWB", number=air_waybill(call.flight.awb_prefix, self.rng))

    # Pre-notifications.

    def _notify_call(self, call: Call) -> None:
        # The vessel/flight-and-importer key only when it cannot catch another line too.
        per_importer = Counter(
            (line.company.name, regime) for line in call.lines for regime in line.regimes
        )
        groups: dict[int, list[PlannedLine]] = defaultdict(list)
        for line in call.lines:
            if line.family is not None:
                continue
            for regime in line.regimes:
                if line.exempt(regime):
                    self.seen[f"exempt: {_exemption(line, regime)}"] += 1
                elif line.group is not None:
                    groups[line.group].append(line)
                else:
                    self._notify([line], regime, per_importer[(line.company.name, regime)] == 1)
        for lines in groups.values():
            regime = lines[0].regimes[0]
            alone = per_importer[(lines[0].company.name, regime)] == len(lines)
            if alone or call.mode is Mode.SEA:
                self._notify(lines, regime, alone)
            else:  # by air only vessel/flight and importer can tie several waybills together
                for line in lines:
                    self._notify([line], regime, False)

    def _notify(self, lines: list[PlannedLine], regime: Regime, alone: bool) -> None:
        group = len(lines) > 1
        scenario = self.pick(GROUP_SCENARIOS if group else SCENARIOS)
        call = lines[0].call
        others = self._uncontrolled_lines(call)
        submitted = self._submission(call, late=scenario == "late")
        if submitted is None or (scenario == "moved" and not others):
            scenario, submitted = "on_time", self._submission(call, late=False)
        assert submitted is not None
        self.seen[f"scenario: {scenario}" + (" (one PN for several lines)" if group else "")] += 1
        if scenario in ("on_time", "late"):
            first = self._first_version(lines, regime, submitted, varied=True, alone=alone)
            self._deliver(self._validated(first))
        elif scenario == "cancelled":
            first = self._first_version(lines, regime, submitted)
            status = self.choose([PreNotificationStatus.CANCELLED, PreNotificationStatus.REJECTED])
            self._deliver([first, self._status_change(first, status)])
        elif scenario == "resubmitted":
            self._resubmitted(lines, regime, submitted)
        elif scenario == "moved":
            self._moved(lines[0], regime, submitted, self.choose(others))
        elif scenario != "missing":
            weight = scenario == "review_weight"
            first = self._first_version(
                lines,
                regime,
                submitted,
                fits=False,
                net_share=(0.02, 0.25) if weight else (0.82, 0.96),
                goods=None if weight else self._other_chapter(lines[0].item(regime).goods),
            )
            self._deliver([first])

    def _uncontrolled_lines(self, call: Call) -> list[PlannedLine]:
        if call.manifest_id not in self.uncontrolled:
            self.uncontrolled[call.manifest_id] = [o for o in call.lines if not o.regimes]
        return self.uncontrolled[call.manifest_id]

    def _submission(self, call: Call, late: bool) -> datetime | None:
        """When the importer notifies: in time (before the earlier of the deadlines before and
        after an ETA update) or late (after the later one); None if late is not possible yet."""
        first, last = call.deadlines
        if not late:
            lead = (0.25, 30.0) if call.mode is Mode.AIR else (0.5, 100.0)
            return first - self.hours(*lead)
        lo, hi = last + timedelta(minutes=20), self.end - timedelta(minutes=5)
        arrived = call.arrival_at or self._first_discharge(call)
        if arrived and self.chance(0.35):
            lo = max(lo, arrived + timedelta(minutes=10))
        if call.mode is Mode.SEA and self.chance(0.5):
            # Counting calendar days: the day before arrival, which after a weekend or a
            # holiday is already too late.
            eve_lo = call.eta - timedelta(hours=32)
            eve_hi = call.eta - timedelta(hours=24, minutes=10)
            if max(lo, eve_lo) < min(hi, eve_hi):
                lo, hi = max(lo, eve_lo), min(hi, eve_hi)
        return self.between(lo, hi) if lo < hi else None

    def _other_chapter(self, goods: Goods) -> Goods:
        """Goods of the same regime but another HS chapter: clearly not what was shipped."""
        assert goods.regime is not None
        names = OTHER_CHAPTER[goods.regime]
        return self.choose(
            [g for g in CONTROLLED if g.name in names and g.hs_code[:2] != goods.hs_code[:2]]
        )

    def _reference(self, goods: Goods, at: datetime) -> str:
        assert goods.ched is not None
        kind = goods.ched.value.removeprefix("CHED-")
        self.sequences[kind] += self.rng.randint(1, 40)
        return f"CHED{kind}.NL.{at.year}.{self.sequences[kind]:07d}"

    def _first_version(
        self,
        lines: list[PlannedLine],
        regime: Regime,
        submitted: datetime,
        *,
        varied: bool = False,
        alone: bool = False,
        fits: bool = True,
        goods: Goods | None = None,
        net_share: tuple[float, float] = (0.82, 0.96),
    ) -> Version:
        """Version 1. `varied`: keyed in any of the ways importers key (typos, document only,
        quoted reference, and vessel/flight with importer when `alone`: the importer has no
        other line of the regime on the call); otherwise by the containers (sea) or waybill."""
        item = lines[0].item(regime)
        goods = goods or item.goods
        reference = self._reference(goods, submitted)
        key = self._key(lines, submitted, varied=varied, alone=alone)
        containers, document = self._apply_key(key, lines, reference, alone)
        gross = sum(line.item(regime).gross_kg for line in lines)
        net = round(gross * self.rng.uniform(*net_share), 1)
        call = lines[0].call
        assert goods.ched is not None
        record = PreNotification(
            reference=reference,
            system="client-import" if regime is Regime.PHYTO else "vgc",
            ched_type=goods.ched,
            version=1,
            status=PreNotificationStatus.SUBMITTED,
            submitted_at=submitted,
            bcp=self.port,
            expected_arrival=call.eta0 + timedelta(minutes=5 * self.rng.randint(-36, 36)),
            mode=call.mode,
            vessel_imo=call.vessel[1] if call.vessel else None,
            vessel_name=call.vessel[0] if call.vessel else None,
            flight_number=call.flight.number if call.flight else None,
            transport_document=document,
            containers=containers,
            consignor=lines[0].consignor,
            importer=lines[0].company.party(),
            country_of_origin=item.origin,
            commodities=[
                Commodity(
                    cn_code=goods.cn_code,
                    description=goods.notified_as,
                    net_mass_kg=net,
                    packages=max(1, round(net / goods.kg_per_package)),
                    species=goods.species,
                )
            ],
            control=Control(regime="full"),
        )
        at = submitted + timedelta(seconds=self.rng.randint(5, 240))
        return Version(at, record, [(line, regime, fits) for line in lines])

    def _key(self, lines: list[PlannedLine], submitted: datetime, varied: bool, alone: bool) -> Key:
        line, sea = lines[0], lines[0].call.mode is Mode.SEA
        exact: Key = "containers" if sea else "document"
        if len(lines) > 1:  # one notification for a group: all containers, or by flight
            key: Key = (
                ("pn_typo" if self.chance(0.1) else "containers")
                if sea
                else ("vessel_and_importer")
            )
        else:
            key = self.pick(SEA_KEYS if sea else AIR_KEYS) if varied else exact
        if (
            (key == "vessel_and_importer" and not alone)
            or (key in TYPO_KEYS and any(member.mistyped for member in lines))
            # A manifest quotes only a reference that exists when it is filed.
            or (key == "quoted" and submitted > line.filed_at - timedelta(minutes=30))
        ):
            key = exact
        self.seen[f"key: {key.replace('_', ' ')}"] += 1
        return key

    def _apply_key(
        self, key: Key, lines: list[PlannedLine], reference: str, alone: bool
    ) -> tuple[list[str], str | None]:
        """The containers and transport document the pre-notification gives; a manifest-side
        typo or a quoted reference is written into the line itself. Without containers and
        document a notification also ties to its importer's lines on the vessel or flight, so
        it goes without them only when `alone`."""
        line = lines[0]
        containers = [c for member in lines for c in member.containers]
        with_bill = line.call.mode is Mode.SEA and len(lines) == 1 and self.chance(0.3)
        document = line.document.number if with_bill else None
        if key in ("pn_typo", "pn_transposed"):
            containers = self._misspelt_containers(containers, key == "pn_typo", lines)
        elif key in ("manifest_typo", "manifest_transposed"):
            line.manifest_containers = self._misspelt_containers(
                containers, key == "manifest_typo", lines
            )
            line.container_fixed = line.manifest_containers != containers and self.chance(0.4)
        elif key in ("document", "document_typo"):
            return [], self._document_as_notified(line, key == "document_typo")
        elif key == "quoted":
            line.references.append(quoted_reference(reference, self.rng))
            if not (alone and self.chance(0.5)):
                return (containers, document) if containers else ([], line.document.number)
            line.by_vessel = True
            return [], None
        elif key == "vessel_and_importer":
            for member in lines:
                member.by_vessel = True
            return [], None
        return containers, document

    def _misspelt_containers(
        self, containers: list[str], typo: bool, lines: list[PlannedLine]
    ) -> list[str]:
        i = self.rng.randrange(len(containers))
        for _ in range(20):
            variant = (
                mistyped(containers[i], self.rng, first=4)
                if typo
                else transposed(containers[i], self.rng)
            )
            if variant and self.containers.claim_variant(variant, containers[i]):
                for member in lines:
                    member.mistyped = True
                return [*containers[:i], variant, *containers[i + 1 :]]
        return containers

    def _document_as_notified(self, line: PlannedLine, typo: bool) -> str:
        number = line.document.number
        if typo:
            for _ in range(20):
                variant = mistyped(number, self.rng, first=len(number) - 7)
                if self.documents.claim_variant(variant, number):
                    line.mistyped = True
                    return variant
        if self.chance(0.3):  # the same number with other separators
            self.seen["transport document written with other separators"] += 1
            return _respaced(number)
        return number

    def _validated(self, first: Version) -> list[Version]:
        """Half the time the authority validates the notification later: a new version."""
        if self.chance(0.5):
            return [first]
        at = first.at + self.hours(1, 30)
        record = first.record.model_copy(
            update={"version": 2, "status": PreNotificationStatus.VALIDATED}
        )
        return [first, Version(at, record, first.claims)]

    def _status_change(self, first: Version, status: PreNotificationStatus) -> Version:
        at = first.at + self.hours(1, 48)
        at = min(at, max(first.at + timedelta(minutes=10), self.end - timedelta(minutes=5)))
        record = first.record.model_copy(update={"version": 2, "status": status})
        return Version(at, record, first.claims)

    def _resubmitted(self, lines: list[PlannedLine], regime: Regime, submitted: datetime) -> None:
        """Cancelled, rejected or replaced; then notified again under a new reference."""
        first = self._first_version(lines, regime, submitted)
        status = self.choose(
            [
                PreNotificationStatus.CANCELLED,
                PreNotificationStatus.REJECTED,
                PreNotificationStatus.REPLACED,
            ]
        )
        gone = self._status_change(first, status)
        self._deliver([first, gone])
        again = gone.at + self.hours(1 / 6, 6)
        self._deliver([self._first_version(lines, regime, again)])

    def _moved(
        self, line: PlannedLine, regime: Regime, submitted: datetime, wrong: PlannedLine
    ) -> None:
        """First notified with the container (or waybill) of another, uncontrolled
        consignment; an amendment moves it to the right line."""
        right = self._first_version([line], regime, submitted)
        update: dict[str, object] = (
            {"containers": wrong.containers, "transport_document": None}
            if right.record.containers
            else {"transport_document": wrong.document.number}
        )
        mistaken = Version(right.at, right.record.model_copy(update=update), [])
        at = right.at + self.hours(0.5, 30)
        corrected = Version(at, right.record.model_copy(update={"version": 2}), right.claims)
        self._deliver([mistaken, corrected])

    def _deliver(self, versions: list[Version]) -> None:
        """Through the feed: lost, delayed or entered by hand while it is down; nothing after
        the end of the day. The truth follows the latest version that came through."""
        last: Version | None = None
        for index, version in enumerate(versions):
            delivered = self._through_feed(version, first=index == 0)
            if delivered is None:
                break
            if last is not None:
                delivered.at = max(delivered.at, last.at + timedelta(seconds=1))
            self.events.append(ScenarioEvent("prenotification", delivered.at, delivered.record))
            last = delivered
            if delivered.record.system == "written":
                break  # later versions of a written notification stay on paper
        if last is None:
            return
        record = last.record
        self.notices[record.reference] = Notice(
            record.reference, record.submitted_at, record.status in ACTIVE_STATUSES
        )
        self.coverage[record.reference] = last.claims

    def _through_feed(self, version: Version, first: bool) -> Version | None:
        outage, at = self.outage, version.at
        if at > self.end - timedelta(minutes=2):
            return None
        if outage is None or version.record.system != outage.system or at < outage.silent_from:
            return version
        if outage.restored_at and at >= outage.restored_at:
            return version
        if first and self.chance(0.5):  # the importer sends it by e-mail instead
            written_at = version.record.submitted_at + timedelta(minutes=self.rng.randint(20, 90))
            if written_at > self.end - timedelta(minutes=2):
                return None
            self.seen["written pre-notification entered during the outage"] += 1
            record = version.record.model_copy(
                update={"system": "written", "entered_by": "nvwa-noodprocedure"}
            )
            return Version(written_at, record, version.claims)
        if outage.restored_at is None:
            self.seen["pre-notification not received: feed down"] += 1
            return None
        self.backlog += 1
        self.seen["pre-notification delivered from the backlog when the feed recovered"] += 1
        restored = outage.restored_at + timedelta(seconds=self.backlog)
        return Version(restored, version.record, version.claims)

    # Writing the manifest.

    def _emit_line(self, line: PlannedLine) -> None:
        consignee = line.consignee
        if not line.by_vessel and line.document.type == "BL" and self.chance(0.05):
            consignee = self.choose(FORWARDERS).party()
            self.seen["consignee is a forwarder, not the importer"] += 1
        first = self._line_record(line, consignee, version=1, at=line.filed_at)
        history = [(line.filed_at, first)]
        amend_from = line.filed_at + timedelta(minutes=20)
        amend_to = min(self.end - timedelta(minutes=3), line.filed_at + timedelta(hours=30))
        flawed = self._flawed_first(line, first) if amend_from < amend_to else None
        if flawed:
            label, first = flawed
            at = self.between(amend_from, amend_to)
            history = [(line.filed_at, first), (at, self._line_record(line, consignee, 2, at))]
            self.seen[f"line amended: {label}"] += 1
            if self.chance(0.3):
                stale = self.between(at + timedelta(minutes=1), self.end - timedelta(minutes=2))
                history.append((stale, first))
                self.seen["older line version received after the newer one"] += 1
        line.final = max((record for _, record in history), key=lambda r: r.version)
        self.events.extend(ScenarioEvent("manifest.line", at, record) for at, record in history)

    def _flawed_first(
        self, line: PlannedLine, first: ManifestLine
    ) -> tuple[str, ManifestLine] | None:
        """When the line will be amended: what was wrong in the first version."""
        if line.withdrawn:
            return "withdrawn", first
        if line.container_fixed:
            return "container number corrected", first
        roll, goods = self.rng.random(), first.goods
        if roll < 0.01 and line.regimes and len(goods) == 1:
            vague = goods[0].model_copy(update={"hs_code": None, "description": "Foodstuffs"})
            return "goods declared vaguely at first", first.model_copy(update={"goods": [vague]})
        if roll < 0.025 and len(goods) == 1 and goods[0].hs_code is not None:
            missing = goods[0].model_copy(update={"hs_code": None})
            return "HS code added", first.model_copy(update={"goods": [missing]})
        if roll < 0.04:
            heavier = [g.model_copy(update={"gross_mass_kg": g.gross_mass_kg * 2}) for g in goods]
            return "gross mass corrected", first.model_copy(update={"goods": heavier})
        return None

    def _line_record(
        self, line: PlannedLine, consignee: Party, version: int, at: datetime
    ) -> ManifestLine:
        call, amended = line.call, version > 1
        return ManifestLine(
            manifest_id=call.manifest_id,
            line_id=line.line_id,
            version=version,
            withdrawn=line.withdrawn and amended,
            mode=call.mode,
            vessel_imo=call.vessel[1] if call.vessel else None,
            vessel_name=call.vessel[0] if call.vessel else None,
            voyage=call.vessel[2] if call.vessel else None,
            flight_number=call.flight.number if call.flight else None,
            port_of_discharge=line.port or call.port,
            terminal=call.terminal,
            eta=call.eta_known_at(at),
            transport_document=line.document,
            containers=(
                line.containers if line.container_fixed and amended else line.manifest_containers
            ),
            procedure=line.procedure,
            consignor=line.consignor,
            consignee=consignee,
            country_of_origin=line.items[0].origin,
            place_of_loading=call.loading,
            document_references=line.references,
            goods=[
                GoodsItem(
                    item=n,
                    hs_code=item.hs_code,
                    description=item.description,
                    gross_mass_kg=item.gross_kg,
                    packages=max(1, round(item.gross_kg / item.goods.kg_per_package)),
                    country_of_origin=item.origin,
                )
                for n, item in enumerate(line.items, start=1)
            ],
        )

    def _emit_call(self, call: Call) -> None:
        if call.eta_update_at:
            update = EtaUpdate(manifest_id=call.manifest_id, eta=call.eta)
            self.events.append(ScenarioEvent("manifest.eta", call.eta_update_at, update))
        if call.arrival_at:
            arrival = Arrival(manifest_id=call.manifest_id, arrived_at=call.arrival_at)
            self.events.append(ScenarioEvent("manifest.arrival", call.arrival_at, arrival))
            self.arrived.update(line.key for line in call.lines)
        start = self._first_discharge(call)
        if start:
            self._discharge(call, start)

    def _discharge(self, call: Call, start: datetime) -> None:
        """Containers come off in batches; the rest is still on board at the end of the day."""
        candidates = [line for line in call.lines if not line.container_fixed]
        self.rng.shuffle(candidates)
        discharged = candidates[: int(len(candidates) * self.rng.uniform(0.4, 0.8))]
        batches = self.rng.randint(2, 3)
        span = self.end - timedelta(minutes=10) - start
        for n in range(batches):
            batch = discharged[n::batches]
            at = start + span * (n + self.rng.random()) / batches
            at = at.replace(microsecond=0)
            containers = [c for line in batch for c in line.manifest_containers]
            arrival = Arrival(manifest_id=call.manifest_id, arrived_at=at, containers=containers)
            self.events.append(ScenarioEvent("manifest.arrival", at, arrival))
            self.arrived.update(line.key for line in batch)
        self.seen["vessel discharging container by container at the end of the day"] += 1

    # Feed health.

    def _emit_feeds(self) -> None:
        received: dict[str, list[datetime]] = defaultdict(list)
        for event in [*self.events, *self.options.feeds_also_carried]:
            if isinstance(event.record, PreNotification):
                received[event.record.system].append(event.time)

        def beat(system: Literal["client-import", "vgc"], at: datetime, **extra: object) -> None:
            status = FeedStatus(
                system=system,
                last_record_at=max((t for t in received[system] if t <= at), default=None),
                last_heartbeat_at=at,
                emergency=False,
                at=at,
            )
            event = ScenarioEvent("prenotification.feed", at, status.model_copy(update=extra))
            self.events.append(event)

        hourly = [self.local(0, 60 * hour) for hour in range(END_OF_DAY.hour + 1)]
        for at in hourly:
            for system in FEEDS:
                if not self._feed_silent(system, at):
                    beat(system, at)
        outage = self.outage
        if outage:
            silent_since = outage.silent_from.astimezone(AMSTERDAM)
            beat(
                outage.system,
                outage.declared_at,
                emergency=True,
                emergency_since=outage.declared_at,
                emergency_declared_by="NVWA duty officer",
                last_heartbeat_at=max(at for at in hourly if at < outage.silent_from),
                note=f"{outage.system} silent since {silent_since:%H:%M}; written "
                "pre-notifications accepted",
            )
            self.seen[f"{outage.system} emergency declared"] += 1
            if outage.restored_at:
                restored = outage.restored_at + timedelta(seconds=self.backlog + 1)
                beat(outage.system, restored, note="feed restored, backlog delivered")
                self.seen[f"{outage.system} emergency ended"] += 1
        beat("client-import", self.end, note="end of day")

    def _feed_silent(self, system: str, at: datetime) -> bool:
        outage = self.outage
        if outage is None or outage.system != system or at < outage.silent_from:
            return False
        return outage.restored_at is None or at < outage.restored_at

    # The facts the expected statuses follow from.

    def _facts(self, calls: list[Call]) -> tuple[LineTruth, ...]:
        claims: dict[tuple[str, Regime], list[Claim]] = defaultdict(list)
        for reference, coverage in self.coverage.items():
            for line, regime, fits in coverage:
                claims[(line.key, regime)].append(Claim(reference, fits))
        return tuple(self._line_facts(line, claims) for call in calls for line in call.lines)

    def _line_facts(
        self, line: PlannedLine, claims: Mapping[tuple[str, Regime], list[Claim]]
    ) -> LineTruth:
        assert line.final is not None
        return LineTruth(
            manifest_id=line.call.manifest_id,
            line_id=line.line_id,
            port=line.port or line.call.port,
            eta=line.call.eta,
            arrived=line.key in self.arrived,
            withdrawn=line.final.withdrawn,
            regimes=tuple(
                RegimeFacts(
                    regime=regime,
                    exempt=line.exempt(regime),
                    gross_kg=line.item(regime).gross_kg,
                    claims=tuple(claims.get((line.key, regime), [])),
                    wood=line.wood(regime),
                )
                for regime in line.regimes
            ),
            by_air=line.call.mode is Mode.AIR,
            family=line.family,
        )


def _exemption(line: PlannedLine, regime: Regime) -> str:
    item = line.item(regime)
    if regime is Regime.VET:
        if item.origin in VET_AGREEMENT_ORIGINS:
            return "animal goods from NO/IS/CH/LI"
        return "fishery products from FO/GL"
    if line.procedure in (Procedure.TRANSIT, Procedure.TRANSHIPMENT):
        return "plants in transit or transhipment"
    return "fruit exempt from phytosanitary certificates"


def _respaced(number: str) -> str:
    """The same document number with other separators: `074-12345675` as `07412345675`,
    `MAEU123456789` as `MAEU 123456789`."""
    if "-" in number:
        return number.replace("-", "")
    letters = len(number) - len(number.lstrip(string.ascii_uppercase))
    return f"{number[:letters]} {number[letters:]}" if 0 < letters < len(number) else number


@dataclass(frozen=True)
class DayOptions:
    """How a day is made beyond its kind, seed, date, size and outage."""

    controlled_share: float = CONTROLLED_SHARE  # of manifest lines, before exemptions
    continuity: Continuity | None = None  # shared with the other days of one file
    feeds: bool = True  # write the feeds' heartbeats (one kind of a combined day does not)
    # Pre-notifications of the other kinds of a combined day: the feeds carried them too.
    feeds_also_carried: Sequence[ScenarioEvent] = ()
    families: frozenset[Family] = frozenset()  # issue-16 families to add (scenario_families.py)


def generate_day(
    kind: Kind,
    seed: int,
    base: date,
    lines: int,
    outage: OutageKind = "none",
    options: DayOptions = DayOptions(),
) -> Day:
    """A day at Rotterdam (vessel calls) or Schiphol (flights) with `lines` manifest lines,
    ending at 21:50 Amsterdam time on `base`. `outage`: "ongoing" takes the VGC feed down from
    late morning to the end of the day, "recovered" takes Client Import down for a morning."""
    if lines < 1:
        raise ValueError("a day needs at least one manifest line")
    if not 0 <= options.controlled_share <= 1:
        raise ValueError("the controlled share is a fraction of the lines, from 0 to 1")
    return _DayBuilder(kind, seed, base, lines, outage, options).build()


def write_day(day: Day, events_path: Path, expected_path: Path) -> None:
    events_path.write_text("".join(event.replay_line() for event in day.events), encoding="utf-8")
    expected_path.write_text(_jsonl(day.expected), encoding="utf-8")


def _jsonl(rows: Iterable[Mapping[str, object]]) -> str:
    return "".join(
        json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n" for row in rows
    )


def run_scenario(
    kind: Kind,
    seed: int,
    base: date,
    lines: int,
    outage: OutageKind,
    output: Path,
    expect: Path,
    controlled_share: float = CONTROLLED_SHARE,
    families: frozenset[Family] = frozenset(),
) -> None:
    options = DayOptions(controlled_share, families=families)
    day = generate_day(kind, seed, base, lines, outage, options)
    write_day(day, output, expect)
    statuses = Counter(row["status"] for row in day.expected)
    print(f"{len(day.events)} events, {len(day.expected)} manifest lines")
    for status in SEVERITY:
        print(f"  {status.value:24}{statuses[status.value]:6}")
    for situation, count in day.situations.items():
        print(f"  {situation}: {count}")
