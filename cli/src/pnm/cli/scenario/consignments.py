"""What each manifest line of a generated day carries: its goods (controlled or not, sometimes
two regimes in one line, groups of lines of one consignment), its importer, consignee and
shipper, its procedure, containers and transport document, all drawn from the catalogue."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from itertools import accumulate

from pnm.cli.scenario.catalogue import (
    CONTROLLED,
    EXPORT_PLACES,
    GENERAL_EXPORTERS,
    HOUSE_BILLS,
    IMPORTERS,
    TRADE_NAMES,
    UNCONTROLLED,
    UNSPECIFIED_DESCRIPTIONS,
    CatalogueGoods,
    Company,
)
from pnm.cli.scenario.plan import Call, Item, PlannedLine, Scene
from pnm.cli.scenario.writing import air_waybill, fill, name_variant
from pnm.shared.contracts.records import Mode, Party, Procedure, Regime, TransportDocument
from pnm.testing.records import container

PROCEDURE_SHARES: dict[Mode, dict[str, float]] = {
    Mode.SEA: {"import": 86.0, "transhipment": 8.0, "transit": 3.0, "warehouse": 3.0},
    Mode.AIR: {"import": 93.0, "transit": 4.0, "warehouse": 3.0},
}


@lru_cache
def _eligible_goods(
    mode: Mode, origins: tuple[str, ...], regime: Regime | None
) -> tuple[tuple[CatalogueGoods, ...], list[float]]:
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


class Consignments:
    """Plans the manifest lines of the day's calls."""

    def __init__(self, day: Scene) -> None:
        self.day = day
        self.groups = 0  # lines of one group share one pre-notification

    def plan_lines(self, call: Call) -> None:
        while len(call.lines) < call.size:
            if not self.day.chance(self.day.options.controlled_share):
                self.add_line(call, [self._uncontrolled_item(call)])
                continue
            item = self.controlled_item(call)
            room = call.size - len(call.lines)
            if room >= 2 and self.day.chance(0.05):
                self._add_group(call, item, min(room, self.day.rng.randint(2, 5)))
            elif self.day.chance(0.04):
                self.add_line(call, [item, *self._other_regime_item(call, item)])
            else:
                self.add_line(call, [item])

    def eligible(self, call: Call, regime: Regime | None = None) -> tuple[CatalogueGoods, ...]:
        return _eligible_goods(call.mode, call.origins, regime)[0]

    def controlled_item(self, call: Call, regime: Regime | None = None) -> Item:
        goods, cumulative = _eligible_goods(call.mode, call.origins, regime)
        chosen = self.day.rng.choices(goods, cum_weights=cumulative)[0]
        origin = self.day.choose([o for o in chosen.origins if o in call.origins])
        return self.item(call, chosen, origin)

    def _other_regime_item(self, call: Call, item: Item) -> list[Item]:
        other = Regime.VET if item.goods.regime is Regime.PHYTO else Regime.PHYTO
        if not self.eligible(call, other):
            return []
        second = self.controlled_item(call, other)
        # Groupage: the second consignment is the smaller part of the container.
        second.gross_kg = round(item.gross_kg * self.day.rng.uniform(0.15, 0.4))
        item.gross_kg -= second.gross_kg
        self.day.seen["mixed line: plant and animal goods, one pre-notification each"] += 1
        return [second]

    def _uncontrolled_item(self, call: Call) -> Item:
        goods = self.day.rng.choices(UNCONTROLLED, cum_weights=_UNCONTROLLED_CUMULATIVE)[0]
        item = self.item(call, goods, self.day.choose(call.origins))
        if self.day.chance(0.08):
            item.hs_code, item.description = None, self.day.choose(UNSPECIFIED_DESCRIPTIONS)
            self.day.seen["uncontrolled goods without HS code"] += 1
        return item

    def item(self, call: Call, goods: CatalogueGoods, origin: str) -> Item:
        if call.mode is Mode.AIR:
            gross = self.day.rng.uniform(150, 3200)
        elif goods.regime:
            gross = self.day.rng.uniform(14_000, 24_500)
        else:
            gross = self.day.rng.uniform(4_000, 22_000)
        hs_code, description = self._hs_code(goods)
        return Item(goods, origin, round(gross), hs_code, description)

    def _hs_code(self, goods: CatalogueGoods) -> tuple[str | None, str]:
        description = self.day.choose(goods.descriptions)
        roll = self.day.rng.random()
        if goods.regime is None or goods.certificate_exempt:
            return (goods.cn_code if roll < 0.12 else goods.hs_code), description
        if roll < 0.10:
            self.day.seen["controlled goods without HS code (description only)"] += 1
            return None, description
        if roll < 0.18 and goods.heading:
            self.day.seen["controlled goods with a 4-digit HS code"] += 1
            return goods.heading, description
        return (goods.cn_code if roll > 0.88 else goods.hs_code), description

    def _procedure(self, call: Call) -> Procedure:
        return Procedure(self.day.pick(PROCEDURE_SHARES[call.mode]))

    def add_line(
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
            withdrawn=like is None and self.day.chance(0.015),
            manifest_containers=list(containers),
        )
        call.lines.append(line)
        return line

    def _add_group(self, call: Call, item: Item, size: int) -> None:
        """Lines of one importer, shipper and goods that one pre-notification covers."""
        self.groups += 1
        first = self.add_line(call, [item])
        first.group, first.withdrawn, first.procedure = self.groups, False, Procedure.IMPORT
        for _ in range(size - 1):
            self.add_line(call, [self.item(call, item.goods, item.origin)], like=first)

    def _company(self, item: Item) -> Company:
        trade = item.goods.trade if item.goods.regime else "general"
        return self.day.choose(_IMPORTERS_BY_TRADE[trade])

    def _consignee(self, company: Company) -> Party:
        if self.day.chance(0.3):
            self.day.seen["consignee name written differently from the importer"] += 1
            return company.party(name_variant(company.name, self.day.rng))
        return company.party()

    def _consignor(self, item: Item) -> Party:
        if item.goods.regime is None:
            return _party(self.day.choose(GENERAL_EXPORTERS), item.origin)
        place, legal_form = EXPORT_PLACES[item.origin]
        return _party(f"{place} {TRADE_NAMES[item.goods.trade]} {legal_form}", item.origin)

    def _new_containers(self, call: Call, owner: str) -> list[str]:
        if call.route is None:
            return []  # air cargo travels in ULDs, not containers
        count = self.day.rng.choices((1, 2, 3, 4), weights=(78, 14, 6, 2))[0]
        numbers: list[str] = []
        while len(numbers) < count:
            number = container(
                self.day.rng.randrange(1_000_000), self.day.choose(call.route.owner_codes)
            )
            if self.day.containers.claim(number, owner):
                numbers.append(number)
        return numbers

    def _new_document(self, call: Call, owner: str) -> TransportDocument:
        while True:
            document = self._document(call)
            if self.day.documents.claim(document.number, owner):
                return document

    def _document(self, call: Call) -> TransportDocument:
        if call.route is not None:
            if self.day.chance(0.2):
                return TransportDocument(
                    type="HBL", number=fill(self.day.choose(HOUSE_BILLS), self.day.rng)
                )
            return TransportDocument(type="BL", number=fill(call.route.bill_template, self.day.rng))
        assert call.flight is not None
        if self.day.chance(0.35):
            return TransportDocument(
                type="HAWB", number=fill(self.day.choose(HOUSE_BILLS), self.day.rng)
            )
        return TransportDocument(
            type="AWB", number=air_waybill(call.flight.awb_prefix, self.day.rng)
        )
