"""The world of a generated day: which vessel calls (Rotterdam) or flights (Schiphol) there
are, of which liner service or airline, how large their manifests are, when they are due and
filed, when their ETA changes and when they arrive. What each manifest line carries is
consignments.py."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta

from pnm.cli.scenario.catalogue import (
    FLIGHTS,
    ROUTES,
    TERMINALS_RTM,
    VESSEL_NAME_STYLES,
    VESSEL_NAME_WORDS,
    Flight,
    Route,
)
from pnm.cli.scenario.plan import Call, CallCategory, Continuity, DayKind, Scene
from pnm.cli.scenario.writing import imo_number
from pnm.shared.calendar import AMSTERDAM
from pnm.shared.contracts.records import Mode

# Original ETA per kind of call: (day offset, earliest minute, latest minute), Amsterdam time.
ETA_WINDOWS: dict[DayKind, dict[CallCategory, tuple[int, int, int]]] = {
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
ARRIVED_SHARE: dict[DayKind, float] = {"rotterdam": 0.45, "schiphol": 0.55}
OTHER_CATEGORIES: dict[DayKind, tuple[CallCategory, ...]] = {
    "rotterdam": ("tomorrow", "later", "unannounced", "discharging", "tonight"),
    "schiphol": ("tonight", "tomorrow", "unannounced"),
}
LINES_PER_CALL: dict[DayKind, tuple[int, int]] = {"rotterdam": (100, 240), "schiphol": (40, 130)}
ETA_UPDATE_SHARE: dict[DayKind, float] = {"rotterdam": 0.3, "schiphol": 0.2}
# Hours an ETA update moves the arrival earlier, and later.
ETA_CHANGE_HOURS: dict[DayKind, tuple[tuple[float, float], tuple[float, float]]] = {
    "rotterdam": ((1, 3), (2, 14)),
    "schiphol": ((0.25, 0.75), (0.5, 3)),
}
ARRIVAL_DRIFT: dict[DayKind, tuple[int, int]] = {"rotterdam": (-40, 100), "schiphol": (-20, 40)}


class World:
    """Draws the day's calls and their schedule."""

    def __init__(self, day: Scene) -> None:
        self.day = day

    def calls(self) -> list[Call]:
        sizes = self._call_sizes()
        # About half the calls have arrived; then one of each other kind, as far as they go.
        arrived = max(1, round(len(sizes) * ARRIVED_SHARE[self.day.kind]))
        others = OTHER_CATEGORIES[self.day.kind][: len(sizes) - arrived]
        rest: list[CallCategory] = ["arrived"] * (len(sizes) - len(others))
        categories = [*others, *rest]
        self.day.rng.shuffle(categories)
        if self.day.kind == "rotterdam":
            ships = [(route, vessel) for route in ROUTES for vessel in route.vessels]
            if len(sizes) > len(ships):
                ships += self._more_ships(len(sizes) - len(ships), {v for _, v in ships})
            chosen = self.day.rng.sample(ships, len(sizes))
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
            flights = self.day.rng.sample(fleet, len(sizes))
            calls = [
                self._flight(flight, category, eta, size)
                for flight, category, eta, size in zip(
                    flights, categories, self._etas(categories), sizes, strict=True
                )
            ]
        delayed = self.day.rng.sample(
            calls, max(1, round(len(calls) * ETA_UPDATE_SHARE[self.day.kind]))
        )
        for call in calls:
            self._schedule(call, updated=call in delayed)
        return calls

    def _more_ships(self, count: int, taken: set[str]) -> list[tuple[Route, str]]:
        """Further vessels of the liner services, named in their carrier's style, for a day with
        more calls than the catalogue has ships (only then: a day that fits stays as it was)."""
        ships: list[tuple[Route, str]] = []
        while len(ships) < count:
            route = self.day.choose(ROUTES)
            name = VESSEL_NAME_STYLES[route.carrier].format(self.day.choose(VESSEL_NAME_WORDS))
            while name in taken:
                name += " II" if not name.endswith("I") else "I"
            taken.add(name)
            ships.append((route, name))
        return ships

    def _another_flight(self, taken: set[str], like: Flight | None = None) -> Flight:
        """Another flight of an airline of the catalogue (of `like`'s, if given), from the same
        airport, with a flight number not in `taken`."""
        like = like or self.day.choose(FLIGHTS)
        number = like.number
        while number in taken:
            number = f"{like.number[:2]}{self.day.rng.randrange(1, 10_000):04d}"
        return replace(like, number=number)

    def keep_apart(self, calls: list[Call], continuity: Continuity) -> None:
        """A call whose manifest id an earlier day of the file already used gets another
        vessel IMO and voyage, or another flight number: the same id would merge two manifests."""
        for call in calls:
            while call.manifest_id in continuity.manifests:
                if call.vessel is not None:
                    name, imo = call.vessel[0], imo_number(self.day.rng)
                    voyage = f"{self.day.rng.randint(100, 699)}{self.day.choose('WENS')}"
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
        lo, hi = LINES_PER_CALL[self.day.kind]
        count = max(1, round(2 * self.day.target / (lo + hi)))
        weights = [self.day.rng.uniform(0.6, 1.4) for _ in range(count)]
        sizes = [max(1, int(self.day.target * w / sum(weights))) for w in weights]
        sizes[0] += self.day.target - sum(sizes)
        return sizes

    def _etas(self, categories: list[CallCategory]) -> list[datetime]:
        """Original ETAs on the quarter hour, spread over the window of their kind of call: the
        i-th of n calls of a kind comes in the i-th n-th of the window."""
        total, seen = Counter(categories), Counter[CallCategory]()
        etas = []
        for category in categories:
            day, lo, hi = ETA_WINDOWS[self.day.kind][category]
            share, n = seen[category], total[category]
            seen[category] += 1
            first = (lo + (hi - lo) * share // n) // 15
            last = (lo + (hi - lo) * (share + 1) // n) // 15
            etas.append(self.day.local(day, 15 * self.day.rng.randint(first, max(first, last - 1))))
        return etas

    def _vessel_call(
        self, route: Route, vessel: str, category: CallCategory, eta: datetime, size: int
    ) -> Call:
        imo, voyage = (
            imo_number(self.day.rng),
            f"{self.day.rng.randint(100, 699)}{self.day.choose('WENS')}",
        )
        filed = self._filed(eta, (14, 52), (0.5, 8))
        call = Call(
            manifest_id=f"NLRTM-{imo}-{voyage}",
            mode=Mode.SEA,
            port=self.day.port,
            terminal=self.day.choose(TERMINALS_RTM),
            loading=self.day.choose(route.loading),
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
        filed = self._filed(eta, (1.5, 7), (0.3, 3))
        call = Call(
            manifest_id=f"NLSPL-{flight.number}-{eta.astimezone(AMSTERDAM):%Y%m%d}",
            mode=Mode.AIR,
            port=self.day.port,
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

    def _filed(
        self, eta: datetime, before_eta: tuple[float, float], before_end: tuple[float, float]
    ) -> datetime:
        """When a manifest is filed: some hours before the ETA, and before the day's end."""
        return min(eta - self.day.hours(*before_eta), self.day.end - self.day.hours(*before_end))

    def _schedule(self, call: Call, updated: bool) -> None:
        """The ETA update and the arrival, when they come before the end of the day."""
        earliest = call.filed_at + timedelta(minutes=30)
        latest = min(call.eta0 - timedelta(minutes=30), self.day.end - timedelta(minutes=20))
        if updated and earliest < latest:
            call.eta_update_at = self.day.between(earliest, latest)
            earlier, later = ETA_CHANGE_HOURS[self.day.kind]
            hours = (
                -self.day.rng.uniform(*earlier)
                if self.day.chance(0.2)
                else self.day.rng.uniform(*later)
            )
            call.eta = call.eta0 + timedelta(minutes=15 * round(hours * 4))
            self.day.seen["ETA update"] += 1
        if call.category == "arrived":
            at = max(
                call.eta + timedelta(minutes=self.day.rng.randint(*ARRIVAL_DRIFT[self.day.kind])),
                call.filed_at + timedelta(minutes=30),
                (call.eta_update_at or call.filed_at) + timedelta(minutes=10),
            )
            call.arrival_at = at if at <= self.day.end - timedelta(minutes=10) else None
