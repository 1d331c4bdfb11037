"""What happens to the controlled lines of a generated day: the story of each pre-notification
(in time, late, missing, cancelled, resubmitted, moved, for other goods or another weight), its
versions and what each truly covers. The keys it is given are keys.py; how the feed delivers it,
feeds.py; the amendments of the lines themselves, manifest.py."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Literal

from pnm.cli.scenario.catalogue import (
    CONTROLLED,
    OTHER_CHAPTER,
    VET_AGREEMENT_ORIGINS,
    CatalogueGoods,
)
from pnm.cli.scenario.feeds import Feeds
from pnm.cli.scenario.keys import Keys
from pnm.cli.scenario.plan import Call, PlannedLine, PlannedVersion, Scene
from pnm.shared.contracts.records import (
    Commodity,
    Control,
    Mode,
    PreNotification,
    PreNotificationStatus,
    Procedure,
    Regime,
)

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


class Notifier:
    """Notifies the day's controlled lines as their importers do."""

    def __init__(self, day: Scene, keys: Keys, feeds: Feeds) -> None:
        self.day, self.keys, self.feeds = day, keys, feeds
        self.sequences = {ched: day.rng.randrange(100_000, 900_000) for ched in ("PP", "P", "A")}
        continuity = day.options.continuity
        if continuity is not None and continuity.sequences is not None:
            self.sequences = dict(continuity.sequences)
        self.uncontrolled: dict[str, list[PlannedLine]] = {}  # lines per manifest id, once planned

    def notify_call(self, call: Call) -> None:
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
                    self.day.seen[f"exempt: {_exemption(line, regime)}"] += 1
                elif line.group is not None:
                    groups[line.group].append(line)
                else:
                    self.notify([line], regime, per_importer[(line.company.name, regime)] == 1)
        for lines in groups.values():
            regime = lines[0].regimes[0]
            alone = per_importer[(lines[0].company.name, regime)] == len(lines)
            if alone or call.mode is Mode.SEA:
                self.notify(lines, regime, alone)
            else:  # by air only vessel/flight and importer can tie several waybills together
                for line in lines:
                    self.notify([line], regime, False)

    def notify(self, lines: list[PlannedLine], regime: Regime, alone: bool) -> None:
        group = len(lines) > 1
        scenario = self.day.pick(GROUP_SCENARIOS if group else SCENARIOS)
        call = lines[0].call
        others = self._uncontrolled_lines(call)
        submitted = self.submission(call, late=scenario == "late")
        if submitted is None or (scenario == "moved" and not others):
            scenario, submitted = "on_time", self.submission(call, late=False)
        assert submitted is not None
        self.day.seen[
            f"scenario: {scenario}" + (" (one PN for several lines)" if group else "")
        ] += 1
        if scenario in ("on_time", "late"):
            first = self.first_version(lines, regime, submitted, varied=True, alone=alone)
            self.feeds.deliver(self.validated(first))
        elif scenario == "cancelled":
            first = self.first_version(lines, regime, submitted)
            status = self.day.choose(
                [PreNotificationStatus.CANCELLED, PreNotificationStatus.REJECTED]
            )
            self.feeds.deliver([first, self._status_change(first, status)])
        elif scenario == "resubmitted":
            self._resubmitted(lines, regime, submitted)
        elif scenario == "moved":
            self._moved(lines[0], regime, submitted, self.day.choose(others))
        elif scenario != "missing":
            weight = scenario == "review_weight"
            first = self.first_version(
                lines,
                regime,
                submitted,
                fits=False,
                net_share=(0.02, 0.25) if weight else (0.82, 0.96),
                goods=None if weight else self._other_chapter(lines[0].item(regime).goods),
            )
            self.feeds.deliver([first])

    def _uncontrolled_lines(self, call: Call) -> list[PlannedLine]:
        if call.manifest_id not in self.uncontrolled:
            self.uncontrolled[call.manifest_id] = [o for o in call.lines if not o.regimes]
        return self.uncontrolled[call.manifest_id]

    def submission(self, call: Call, late: bool) -> datetime | None:
        """When the importer notifies: in time (before the earlier of the deadlines before and
        after an ETA update) or late (after the later one); None if late is not possible yet."""
        first, last = call.deadlines
        if not late:
            lead = (0.25, 30.0) if call.mode is Mode.AIR else (0.5, 100.0)
            return first - self.day.hours(*lead)
        lo, hi = last + timedelta(minutes=20), self.day.end - timedelta(minutes=5)
        arrived = call.arrival_at or call.first_discharge(self.day.end)
        if arrived and self.day.chance(0.35):
            lo = max(lo, arrived + timedelta(minutes=10))
        if call.mode is Mode.SEA and self.day.chance(0.5):
            # Counting calendar days: the day before arrival, which after a weekend or a
            # holiday is already too late.
            eve_lo = call.eta - timedelta(hours=32)
            eve_hi = call.eta - timedelta(hours=24, minutes=10)
            if max(lo, eve_lo) < min(hi, eve_hi):
                lo, hi = max(lo, eve_lo), min(hi, eve_hi)
        return self.day.between(lo, hi) if lo < hi else None

    def _other_chapter(self, goods: CatalogueGoods) -> CatalogueGoods:
        """Goods of the same regime but another HS chapter: clearly not what was shipped."""
        assert goods.regime is not None
        names = OTHER_CHAPTER[goods.regime]
        return self.day.choose(
            [g for g in CONTROLLED if g.name in names and g.hs_code[:2] != goods.hs_code[:2]]
        )

    def _reference(self, goods: CatalogueGoods, at: datetime) -> str:
        assert goods.ched is not None
        kind = goods.ched.value.removeprefix("CHED-")
        self.sequences[kind] += self.day.rng.randint(1, 40)
        return f"CHED{kind}.NL.{at.year}.{self.sequences[kind]:07d}"

    def first_version(
        self,
        lines: list[PlannedLine],
        regime: Regime,
        submitted: datetime,
        *,
        varied: bool = False,
        alone: bool = False,
        fits: bool = True,
        goods: CatalogueGoods | None = None,
        net_share: tuple[float, float] = (0.82, 0.96),
    ) -> PlannedVersion:
        """Version 1. `varied`: keyed in any of the ways importers key (typos, document only,
        quoted reference, and vessel/flight with importer when `alone`: the importer has no
        other line of the regime on the call); otherwise by the containers (sea) or waybill."""
        item = lines[0].item(regime)
        goods = goods or item.goods
        reference = self._reference(goods, submitted)
        key = self.keys.key(lines, submitted, varied=varied, alone=alone)
        containers, document = self.keys.apply_key(key, lines, reference, alone)
        gross = sum(line.item(regime).gross_kg for line in lines)
        net = round(gross * self.day.rng.uniform(*net_share), 1)
        call = lines[0].call
        assert goods.ched is not None
        record = PreNotification(
            reference=reference,
            system="client-import" if regime is Regime.PHYTO else "vgc",
            ched_type=goods.ched,
            version=1,
            status=PreNotificationStatus.SUBMITTED,
            submitted_at=submitted,
            bcp=self.day.port,
            expected_arrival=call.eta0 + timedelta(minutes=5 * self.day.rng.randint(-36, 36)),
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
        at = submitted + timedelta(seconds=self.day.rng.randint(5, 240))
        return PlannedVersion(at, record, [(line, regime, fits) for line in lines])

    def validated(self, first: PlannedVersion) -> list[PlannedVersion]:
        """Half the time the authority validates the notification later: a new version."""
        if self.day.chance(0.5):
            return [first]
        at = first.at + self.day.hours(1, 30)
        record = first.record.model_copy(
            update={"version": 2, "status": PreNotificationStatus.VALIDATED}
        )
        return [first, PlannedVersion(at, record, first.claims)]

    def _status_change(
        self, first: PlannedVersion, status: PreNotificationStatus
    ) -> PlannedVersion:
        at = first.at + self.day.hours(1, 48)
        at = min(at, max(first.at + timedelta(minutes=10), self.day.end - timedelta(minutes=5)))
        record = first.record.model_copy(update={"version": 2, "status": status})
        return PlannedVersion(at, record, first.claims)

    def _resubmitted(self, lines: list[PlannedLine], regime: Regime, submitted: datetime) -> None:
        """Cancelled, rejected or replaced; then notified again under a new reference."""
        first = self.first_version(lines, regime, submitted)
        status = self.day.choose(
            [
                PreNotificationStatus.CANCELLED,
                PreNotificationStatus.REJECTED,
                PreNotificationStatus.REPLACED,
            ]
        )
        gone = self._status_change(first, status)
        self.feeds.deliver([first, gone])
        again = gone.at + self.day.hours(1 / 6, 6)
        self.feeds.deliver([self.first_version(lines, regime, again)])

    def _moved(
        self, line: PlannedLine, regime: Regime, submitted: datetime, wrong: PlannedLine
    ) -> None:
        """First notified with the container (or waybill) of another, uncontrolled
        consignment; an amendment moves it to the right line."""
        right = self.first_version([line], regime, submitted)
        update: dict[str, object] = (
            {"containers": wrong.containers, "transport_document": None}
            if right.record.containers
            else {"transport_document": wrong.document.number}
        )
        mistaken = PlannedVersion(right.at, right.record.model_copy(update=update), [])
        at = right.at + self.day.hours(0.5, 30)
        corrected = PlannedVersion(at, right.record.model_copy(update={"version": 2}), right.claims)
        self.feeds.deliver([mistaken, corrected])


def _exemption(line: PlannedLine, regime: Regime) -> str:
    item = line.item(regime)
    if regime is Regime.VET:
        if item.origin in VET_AGREEMENT_ORIGINS:
            return "animal goods from NO/IS/CH/LI"
        return "fishery products from FO/GL"
    if line.procedure in (Procedure.TRANSIT, Procedure.TRANSHIPMENT):
        return "plants in transit or transhipment"
    return "fruit exempt from phytosanitary certificates"
