"""The plan of a generated day: its calls and manifest lines as the generator means them, the
versions of pre-notifications it makes and what they truly cover, and the scene every part of
the making shares (one seeded random generator, drawn in a fixed order: a seed gives one day)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import TYPE_CHECKING, Literal, TypeVar

from pnm.cli.replay_input import ScenarioEvent
from pnm.cli.scenario.catalogue import (
    FISHERY_AGREEMENT_ORIGINS,
    VET_AGREEMENT_ORIGINS,
    CatalogueGoods,
    Company,
    Flight,
    Route,
)
from pnm.cli.scenario.truth import lead_time_deadline
from pnm.cli.scenario.writing import KeyRegistry
from pnm.shared.calendar import AMSTERDAM
from pnm.shared.contracts.records import (
    ManifestLine,
    Mode,
    Party,
    PreNotification,
    Procedure,
    Regime,
    TransportDocument,
)

if TYPE_CHECKING:
    from pnm.cli.scenario.families import Family

DayKind = Literal["rotterdam", "schiphol"]
OutageKind = Literal["none", "ongoing", "recovered"]
CallCategory = Literal["arrived", "unannounced", "discharging", "tonight", "tomorrow", "later"]
END_OF_DAY = time(21, 50)
CONTROLLED_SHARE = 0.4
_T = TypeVar("_T")
_K = TypeVar("_K")


@dataclass(frozen=True)
class Outage:
    """A pre-notification feed goes silent; the authority declares an emergency."""

    system: Literal["client-import", "vgc"]
    regime: Regime
    silent_from: datetime
    declared_at: datetime
    restored_at: datetime | None  # None: still down at the end of the day


@dataclass
class Continuity:
    """What consecutive days of one file share, so that the days read as one stream: the CHED
    reference sequences run on (no reference is handed out twice) and no manifest id recurs."""

    sequences: dict[str, int] | None = None  # the next day starts after these
    manifests: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class DayOptions:
    """How a day is made beyond its kind, seed, date, size and outage."""

    controlled_share: float = CONTROLLED_SHARE  # of manifest lines, before exemptions
    continuity: Continuity | None = None  # shared with the other days of one file
    feeds: bool = True  # write the feeds' heartbeats (one kind of a combined day does not)
    # Pre-notifications of the other kinds of a combined day: the feeds carried them too.
    feeds_also_carried: Sequence[ScenarioEvent] = ()
    families: frozenset[Family] = frozenset()  # issue-16 families to add (families.py)


class Scene:
    """What every part of a day's making shares: its kind, port and end, its one random
    generator, the identifiers handed out, the events written and the situations counted."""

    def __init__(
        self, kind: DayKind, seed: int, base: date, lines: int, target: int, options: DayOptions
    ) -> None:
        self.kind, self.base, self.lines, self.target = kind, base, lines, target
        self.options = options
        self.rng = random.Random(seed)
        self.port = "NLRTM" if kind == "rotterdam" else "NLSPL"
        self.end = self.local(0, END_OF_DAY.hour * 60 + END_OF_DAY.minute)
        self.outage: Outage | None = None  # drawn next (feeds.draw_outage)
        self.events: list[ScenarioEvent] = []
        self.containers, self.documents = KeyRegistry(), KeyRegistry()
        self.seen: Counter[str] = Counter()  # how often each deliberate situation was written

    def local(self, day_offset: int, minutes: float) -> datetime:
        midnight = datetime.combine(self.base + timedelta(days=day_offset), time(), AMSTERDAM)
        return (midnight + timedelta(minutes=minutes)).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> datetime:
        return start + timedelta(seconds=self.rng.randrange(int((end - start).total_seconds())))

    def hours(self, lo: float, hi: float) -> timedelta:
        """A random span between `lo` and `hi` hours, in whole seconds."""
        return timedelta(seconds=self.rng.randrange(round(lo * 3600), round(hi * 3600)))

    def pick(self, weights: Mapping[_K, float]) -> _K:
        weighted = _cumulative(tuple(weights.items()))
        options: list[_K] = weighted[0]
        return self.rng.choices(options, cum_weights=weighted[1])[0]

    def choose(self, options: Sequence[_T]) -> _T:
        return self.rng.choice(options)

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability


# The generator draws from the same few weighted lists for every line: their running totals
# once (`random.choices` draws exactly the same with them as with the weights).
@lru_cache
def _cumulative(weighted: tuple[tuple[_K, float], ...]) -> tuple[list[_K], list[float]]:
    return [option for option, _ in weighted], list(accumulate(w for _, w in weighted))


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

    def first_discharge(self, end: datetime) -> datetime | None:
        """When a call discharging container by container starts unloading, if before `end`."""
        if self.category != "discharging":
            return None
        start = self.eta + timedelta(minutes=45)
        return start if start < end - timedelta(minutes=30) else None


@dataclass
class Item:
    goods: CatalogueGoods
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
    family: str | None = None  # an issue-16 family's line (families.py), notified there
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
        return all(exempt(i, self.procedure) for i in self.items if i.goods.regime is regime)

    def wood(self, regime: Regime) -> bool:
        """Plant-health goods of chapter 44: the wood notice applies."""
        return regime is Regime.PHYTO and self.item(regime).goods.hs_code.startswith("44")


def exempt(item: Item, procedure: Procedure) -> bool:
    goods, origin = item.goods, item.origin
    if goods.regime is Regime.PHYTO:
        not_for_eu = procedure in (Procedure.TRANSIT, Procedure.TRANSHIPMENT)
        return not_for_eu or goods.certificate_exempt
    return origin in VET_AGREEMENT_ORIGINS or (
        goods.fishery and origin in FISHERY_AGREEMENT_ORIGINS
    )


CoveredLines = list[tuple[PlannedLine, Regime, bool]]  # (line, regime, fits)


@dataclass
class PlannedVersion:
    """One version of a pre-notification as its sender made it, and what it truly covers."""

    at: datetime  # when the feed would deliver it
    record: PreNotification
    claims: CoveredLines
