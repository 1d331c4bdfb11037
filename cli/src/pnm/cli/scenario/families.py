"""The families of issue 16 in a generated day: situations the matcher got wrong, each a small
share of the day's lines, with the truth decided first (tests/data/corpus/README.md, "Families").

- `shared_ched`: one pre-notification and several consignments. A CHED quoted by one line and
  covering it fully by weight, beside another line of the same importer, goods and about the same
  weight on the same call that it does not cover (that line has its own CHED, in time or late, or
  none); and two lines quoting one CHED that declares the goods of one of them (both `review`).
- `transposed`: by sea, a CHED gives a container with two adjacent characters swapped where both
  numbers pass the ISO 6346 check digit, and the line's transport document exactly (`notified`);
  by air, a CHED gives the air waybill with two adjacent serial digits swapped where both pass
  its check digit, and the line quotes the CHED's reference (`notified`, or `notified_late`).
- `bcp_mode`: by air, live animals whose port of discharge is written as the city code NLAMS
  (Schiphol), notified to NLAMS4 or NLAMS, in time, late (after the airport's hours of notice)
  or not at all; by sea, wood at Rotterdam notified two working days ahead (late under the
  five-working-day wood rule) or in time.
- `worded`: goods described in words only (no HS code, or the generic 9999) in English, Dutch,
  German, French or Spanish: controlled goods and innocent look-alikes.

The planner works through the parts that make the day (its lines, notifications and feeds),
after the ordinary lines are planned and before they are notified, so that their keys stay
apart.

A little over the ~400 lines a module should be, on purpose: the four families share the
planner's state (the day, its keys, its registry), and each reads best beside the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Literal

from pnm.cli.scenario.cases import Notifier
from pnm.cli.scenario.catalogue import (
    CONTROLLED,
    WOOD,
    WORDED_CONTROLLED,
    WORDED_INNOCENT,
    CatalogueGoods,
)
from pnm.cli.scenario.consignments import Consignments
from pnm.cli.scenario.plan import Call, Item, PlannedLine, PlannedVersion, Scene, exempt
from pnm.cli.scenario.truth import working_days_before
from pnm.cli.scenario.writing import KeyRegistry, air_waybill, quoted_reference, respaced
from pnm.shared import identifiers
from pnm.shared.contracts.records import ChedType, Mode, Procedure, Regime, TransportDocument
from pnm.testing.records import container

Family = Literal["shared_ched", "transposed", "bcp_mode", "worded"]
FAMILIES: tuple[Family, ...] = ("shared_ched", "transposed", "bcp_mode", "worded")
# Share of the day's manifest lines each family takes.
FAMILY_SHARES: dict[Family, float] = {
    "shared_ched": 0.02,
    "transposed": 0.01,
    "bcp_mode": 0.01,
    "worded": 0.04,
}
CITY_CODE_OF_SCHIPHOL = "NLAMS"
WOOD_AHEAD_DAYS = 2  # the wood family's late notifications: in time under the general rule
# One line in four of the air cases of `transposed` and `bcp_mode` is notified late (when the
# day has a flight that allows it); of the other live animals at NLAMS, one in four is not.
LATE_EVERY = 4
QUOTED_AHEAD = timedelta(minutes=45)  # a CHED quoted by a manifest was in this long before
LAST_DELIVERY = timedelta(minutes=15)  # a late CHED is submitted this long before the day ends


def _late_window(call: Call, before: datetime) -> tuple[datetime, datetime] | None:
    """From after the call's later lead-time deadline (before or after an ETA update) to
    `before`, when that is a span at all."""
    lo = call.deadlines[1] + timedelta(minutes=20)
    return (lo, before) if lo < before else None


LIVE_ANIMALS = tuple(g for g in CONTROLLED if g.ched is ChedType.CHED_A)


def family_lines(families: frozenset[Family], lines: int) -> dict[Family, int]:
    """How many lines of a day of `lines` each family takes."""
    return {
        family: round(lines * FAMILY_SHARES[family]) for family in FAMILIES if family in families
    }


def check_digit_transpositions(number: str) -> list[str]:
    """The container numbers that differ from `number` by two adjacent different digits swapped
    (the check digit included) and still pass the ISO 6346 check digit."""
    return _transpositions(
        number, range(4, len(number) - 1), lambda s: container(int(s[4:10]), s[:4]) == s
    )


def air_waybill_transpositions(number: str) -> list[str]:
    """The air waybills that differ from `number` (`074-12345675`) by two adjacent serial digits
    swapped and still pass the check digit. The check digit is the serial modulo 7, so only a
    swap of digits 7 apart (0 and 7, 1 and 8, 2 and 9) keeps it."""
    return _transpositions(number, range(4, 10), lambda s: identifiers.air_waybill(s).valid)


def _transpositions(number: str, starts: Iterable[int], valid: Callable[[str], bool]) -> list[str]:
    """`number` with the different digits at `i` and `i + 1` swapped, for each `i` of `starts`,
    where the result is `valid`."""
    found = []
    for i in starts:
        a, b = number[i], number[i + 1]
        if a == b or not (a.isdigit() and b.isdigit()):
            continue
        swapped = number[:i] + b + a + number[i + 2 :]
        if valid(swapped):
            found.append(swapped)
    return found


class FamilyPlanner:
    """Adds the families' lines to a day's calls and delivers their pre-notifications."""

    def __init__(
        self, day: Scene, consignments: Consignments, notifier: Notifier, quotas: dict[Family, int]
    ) -> None:
        self.day, self.consignments, self.notifier, self.quotas = (
            day,
            consignments,
            notifier,
            quotas,
        )

    def plan(self, calls: list[Call]) -> None:
        plans: dict[Family, Callable[[list[Call], int], None]] = {
            "shared_ched": self._shared_ched,
            "transposed": self._transposed,
            "bcp_mode": self._bcp_mode,
            "worded": self._worded,
        }
        for family, count in self.quotas.items():
            plans[family](calls, count)

    # Lines.

    def _line(
        self, call: Call, items: list[Item], label: str, like: PlannedLine | None = None
    ) -> PlannedLine:
        """A line of the family `label` names, imported (never withdrawn, never exempt by
        procedure), counted in the call's size."""
        line = self.consignments.add_line(call, items, like=like)
        line.family, line.withdrawn, line.procedure = label, False, Procedure.IMPORT
        call.size += 1
        self.day.seen[f"family {label}"] += 1
        return line

    def _notifiable(self, call: Call, goods: Sequence[CatalogueGoods] = ()) -> Item:
        """Controlled goods (of `goods`, else of the call) that no agreement exempts."""
        day = self.day
        while True:
            if goods:
                chosen = day.choose(goods)
                item = self.consignments.item(call, chosen, day.choose(chosen.origins))
            else:
                item = self.consignments.controlled_item(call)
            if not exempt(item, Procedure.IMPORT):
                return item

    def _notifiable_calls(self, calls: list[Call]) -> list[Call]:
        """The calls that carry controlled goods which may need a notification: a flight from
        Iceland carries only fish that the agreement exempts."""
        return [
            call
            for call in calls
            if any(
                not exempt(Item(goods, origin, 0, None, ""), Procedure.IMPORT)
                for goods in self.consignments.eligible(call)
                for origin in goods.origins
                if origin in call.origins
            )
        ]

    def _in_time(self, call: Call) -> datetime:
        """A submission in time that the day has already seen."""
        submitted = self.notifier.submission(call, late=False)
        assert submitted is not None
        return min(submitted, self.day.end - self.day.hours(0.5, 3))

    def _late(self, call: Call, before: datetime) -> datetime:
        """A submission after the call's later deadline and before `before`."""
        window = _late_window(call, before)
        assert window is not None
        return self.day.between(*window)

    def _like(self, call: Call, item: Item, share: tuple[float, float]) -> Item:
        """The same goods again, at a share of the first item's weight."""
        other = self.consignments.item(call, item.goods, item.origin)
        other.gross_kg = round(item.gross_kg * self.day.rng.uniform(*share))
        return other

    # a. One pre-notification, several consignments.

    def _shared_ched(self, calls: list[Call], count: int) -> None:
        day, calls = self.day, self._notifiable_calls(calls)
        for n in range(count // 2 if calls else 0):
            call = day.choose(calls)
            item = self._notifiable(call)
            regime = item.goods.regime
            assert regime is not None
            if n % 4 == 3:
                self._over_used(call, item, regime)
                continue
            covered = self._line(call, [item], "shared_ched: covered")
            other = self._line(
                call, [self._like(call, item, (0.9, 1.1))], "shared_ched: not covered", covered
            )
            first = self._quoted([covered], regime)
            self.notifier.feeds.deliver(self.notifier.validated(first))
            roll = day.rng.random()
            late = self.notifier.submission(call, late=True) if roll < 0.25 else None
            if late is not None:
                day.seen["family shared_ched: the other line notified late"] += 1
                self.notifier.feeds.deliver([self.notifier.first_version([other], regime, late)])
            elif roll < 0.5:
                day.seen["family shared_ched: the other line notified in time"] += 1
                self.notifier.feeds.deliver(
                    [self.notifier.first_version([other], regime, self._in_time(call))]
                )
            else:
                day.seen["family shared_ched: the other line not notified"] += 1

    def _over_used(self, call: Call, item: Item, regime: Regime) -> None:
        """Two lines quote one CHED that declares the goods of the first: together they use it
        beyond its quantity, so neither is covered (review)."""
        first = self._line(call, [item], "shared_ched: over-used")
        second = self._line(
            call, [self._like(call, item, (0.95, 1.1))], "shared_ched: over-used", first
        )
        version = self._quoted([first, second], regime)
        version.claims = [(line, regime, False) for line in (first, second)]
        self.notifier.feeds.deliver(self.notifier.validated(version))

    def _quoted(
        self, lines: list[PlannedLine], regime: Regime, submitted: datetime | None = None
    ) -> PlannedVersion:
        """A CHED for the first line's goods and weight, keyed by its containers (or waybill),
        submitted (in time unless given) before the manifest that quotes it in every line was
        filed."""
        day, call = self.day, lines[0].call
        if submitted is None:
            submitted = min(self._in_time(call), lines[0].filed_at - day.hours(0.7, 6))
        version = self.notifier.first_version(lines[:1], regime, submitted)
        for line in lines:
            line.references.append(quoted_reference(version.record.reference, day.rng))
        return version

    # b. Transpositions that pass the check digit.

    def _transposed(self, calls: list[Call], count: int) -> None:
        day, calls = self.day, self._notifiable_calls(calls)
        # By air the CHED is quoted in the manifest, so a late one was in before the line was
        # filed: a line added to the flight's manifest after its first filing, before landing.
        late_calls = [
            c
            for c in calls
            if c.filed_at < self._before_landing(c)
            and _late_window(c, self._before_landing(c) - QUOTED_AHEAD)
        ]
        for n in range(count if calls else 0):
            if calls[0].mode is Mode.SEA:
                self._transposed_container(day.choose(calls))
            elif n % LATE_EVERY == 1 and late_calls:
                self._transposed_air_waybill(day.choose(late_calls), late=True)
            else:
                self._transposed_air_waybill(day.choose(calls), late=False)

    def _transposed_container(self, call: Call) -> None:
        """The CHED gives the container swapped and the line's transport document exactly."""
        day, route = self.day, call.route
        assert route is not None
        line = self._line(call, [self._notifiable(call)], "transposed: container")
        number, swapped = self._swappable(
            day.containers,
            lambda: container(day.rng.randrange(1_000_000), day.choose(route.owner_codes)),
            check_digit_transpositions,
            line.key,
        )
        line.containers = line.manifest_containers = [number]
        line.mistyped = True
        first = self.notifier.first_version([line], line.regimes[0], self._in_time(call))
        first.record = first.record.model_copy(
            update={"containers": [swapped], "transport_document": line.document.number}
        )
        self.notifier.feeds.deliver(self.notifier.validated(first))

    def _transposed_air_waybill(self, call: Call, late: bool) -> None:
        """The CHED gives the air waybill with two serial digits swapped, both valid; the line
        quotes the CHED's reference, so the reference agrees: a typo, not another consignment
        (issue 16, item 4). Without the reference the matcher rightly asks a person."""
        day, flight = self.day, call.flight
        assert flight is not None
        line = self._line(call, [self._notifiable(call)], "transposed: air waybill")
        number, swapped = self._swappable(
            day.documents,
            lambda: air_waybill(flight.awb_prefix, day.rng),
            air_waybill_transpositions,
            line.key,
        )
        line.document = TransportDocument(type="AWB", number=number)
        line.mistyped = True
        submitted = None
        if late:
            landing = self._before_landing(call)
            submitted = self._late(call, landing - QUOTED_AHEAD)
            line.filed_at = day.between(max(call.filed_at, submitted + QUOTED_AHEAD), landing)
        first = self._quoted([line], line.regimes[0], submitted)
        written = first.record.transport_document
        assert written is not None  # by air, keyed by its waybill
        swapped = swapped if written == number else respaced(swapped)
        first.record = first.record.model_copy(update={"transport_document": swapped})
        self.notifier.feeds.deliver(self.notifier.validated(first))
        if late:
            day.seen["family transposed: air waybill notified late, the line added after"] += 1

    def _before_landing(self, call: Call) -> datetime:
        """The latest a line is still added to a flight's manifest: before it lands (or is due
        to), and before the end of the day."""
        landed = [call.eta0, call.eta, self.day.end, *filter(None, [call.arrival_at])]
        return min(landed) - timedelta(minutes=20)

    def _swappable(
        self,
        registry: KeyRegistry,
        draw: Callable[[], str],
        transpositions: Callable[[str], list[str]],
        owner: str,
    ) -> tuple[str, str]:
        """A new number (of `draw`) with a transposition that passes the check digit too, both
        kept apart from every other number of the day."""
        day = self.day
        while True:
            number = draw()
            swaps = transpositions(number)
            if not swaps or not registry.claim(number, owner):
                continue
            swapped = day.choose(swaps)
            if registry.claim_variant(swapped, number):
                return number, swapped

    # c. BCPs by mode: live animals flown into NLAMS; wood at Rotterdam.

    def _bcp_mode(self, calls: list[Call], count: int) -> None:
        if calls[0].mode is Mode.AIR:
            # A late notification needs a flight whose deadline has passed before the end.
            passed = [c for c in calls if _late_window(c, self.day.end - LAST_DELIVERY)]
            for n in range(count):
                late = n % LATE_EVERY == 1 and bool(passed)
                self._live_animals_at_nlams(self.day.choose(passed if late else calls), late)
            return
        # Wood notified two working days ahead needs calls whose deadline has passed.
        end = self.day.end
        ready = [c for c in calls if working_days_before(c.eta, WOOD_AHEAD_DAYS) < end]
        for _ in range(count if ready else 0):
            self._wood(self.day.choose(ready))

    def _live_animals_at_nlams(self, call: Call, late: bool) -> None:
        """Notified late: after the hours of notice the airport grants (NLAMS4's derogation in
        the BCP table, docs/border-control-posts.md; the generator's `HOURS_NOTICE`)."""
        day = self.day
        line = self._line(call, [self._notifiable(call, LIVE_ANIMALS)], "bcp_mode: NLAMS by air")
        line.port = CITY_CODE_OF_SCHIPHOL
        if not late and day.chance(0.25):
            day.seen["family bcp_mode: live animals at NLAMS not notified"] += 1
            return
        submitted = self._late(call, self.day.end - LAST_DELIVERY) if late else self._in_time(call)
        first = self.notifier.first_version([line], Regime.VET, submitted)
        bcp = day.choose(["NLAMS4", CITY_CODE_OF_SCHIPHOL])
        first.record = first.record.model_copy(update={"bcp": bcp})
        self.notifier.feeds.deliver(self.notifier.validated(first))
        if late:
            day.seen["family bcp_mode: live animals at NLAMS notified late"] += 1

    def _wood(self, call: Call) -> None:
        day = self.day
        item = self._notifiable(call, WOOD)
        item.hs_code = item.goods.hs_code  # the code says wood: the wood rule applies
        line = self._line(call, [item], "bcp_mode: wood at NLRTM")
        if day.chance(2 / 3):
            ahead = working_days_before(call.eta, WOOD_AHEAD_DAYS) - day.hours(0.5, 6)
            submitted = min(ahead, day.end - timedelta(minutes=15))
            day.seen["family bcp_mode: wood notified two working days ahead"] += 1
        else:
            first, last = (working_days_before(e, 5) for e in (call.eta0, call.eta))
            submitted = min(first, last) - day.hours(1, 30)
            day.seen["family bcp_mode: wood notified five working days ahead"] += 1
        self.notifier.feeds.deliver(
            self.notifier.validated(self.notifier.first_version([line], Regime.PHYTO, submitted))
        )

    # d. Goods in words only.

    def _worded(self, calls: list[Call], count: int) -> None:
        day = self.day
        for n in range(count):
            call = day.choose(calls)
            mode = call.mode.value
            if n % 2:
                goods = day.choose([g for g in WORDED_INNOCENT if mode in g.modes])
                item = self.consignments.item(call, goods, day.choose(call.origins))
                label = "worded: innocent"
            else:
                item = self._notifiable(call, [g for g in WORDED_CONTROLLED if mode in g.modes])
                label = "worded: controlled"
            item.description = day.choose(item.goods.descriptions)
            item.hs_code = "9999" if day.chance(0.3) else None
            line = self._line(call, [item], label)
            for regime in line.regimes:
                self.notifier.notify([line], regime, alone=False)
