"""The estimated inspection fee of a phyto hold (docs/fees.md): a full check's start rate and
minutes, or a reduced check's rate per ton or per 1,000 stems within the lot's minimum and
maximum, plus the surcharge of the band the inspection starts in. ManifestGoods that do not allow an
estimate get the reasons, never a number. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pnm.holds.domain.tariff import Basis, ReducedTable, Surcharges, Tariff
from pnm.shared.calendar import AMSTERDAM, public_holiday

CENT = Decimal("0.01")
_PER_TON = Decimal(1000)  # kg
_PER_STEMS = Decimal(1000)


def to_cents(amount: Decimal) -> Decimal:
    """The tariff prints whole cents and says nothing of rounding: half a cent rounds up."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class Check(StrEnum):
    FULL = "full"  # 100 % physical inspection
    REDUCED = "reduced"  # reduced check at an inspection percentage


class Band(StrEnum):
    WORKING_DAY = "working_day"
    EVENING_NIGHT = "evening_night"
    SATURDAY = "saturday"
    SUNDAY = "sunday"
    PUBLIC_HOLIDAY = "public_holiday"


@dataclass(frozen=True, slots=True)
class ManifestGoods:
    """One goods item of the held line, as the manifest has it."""

    item: int
    cn_code: str | None
    description: str
    gross_mass_kg: Decimal
    country_of_origin: str | None


@dataclass(frozen=True, slots=True)
class Inspection:
    check: Check
    start: datetime  # timezone-aware
    minutes: int | None = None  # expected duration (full check)
    percentage: int | None = None  # inspection percentage (reduced check)
    stems: int | None = None  # stems of the cut flowers (reduced check; not on the manifest)


@dataclass(frozen=True, slots=True)
class Surcharge:
    band: Band
    percent: int
    why: str
    local_start: datetime


@dataclass(frozen=True, slots=True)
class FeeLine:
    basis: Basis
    table: str
    row: str
    quantity: Decimal
    unit: str
    rate: Decimal
    computed: Decimal  # quantity x rate, exact
    amount: Decimal  # in cents, after the lot's minimum or maximum
    limit: str | None  # "minimum" or "maximum" when it applied
    note: str | None


@dataclass(frozen=True, slots=True)
class FeeEstimate:
    check: Check
    lines: tuple[FeeLine, ...]
    base: Decimal
    surcharge: Surcharge
    surcharge_amount: Decimal
    total: Decimal
    tariff_version: str


@dataclass(frozen=True, slots=True)
class Unestimable:
    code: str
    text: str


@dataclass(frozen=True, slots=True)
class NoEstimate:
    reasons: tuple[Unestimable, ...]
    tariff_version: str


def surcharge(start: datetime, rules: Surcharges) -> Surcharge:
    """The surcharge band of an inspection starting at `start`: the local day and clock time
    in Europe/Amsterdam decide (a holiday or Sunday before a Saturday before the night)."""
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("the inspection start needs a time zone")
    local = start.astimezone(AMSTERDAM)
    day, clock = local.date(), local.time()
    if (holiday := public_holiday(day)) is not None:
        return Surcharge(
            Band.PUBLIC_HOLIDAY, rules.sunday_holiday_percent, f"public holiday ({holiday})", local
        )
    if day.weekday() == 6:
        return Surcharge(Band.SUNDAY, rules.sunday_holiday_percent, "Sunday", local)
    if day.weekday() == 5:
        return Surcharge(Band.SATURDAY, rules.evening_night_saturday_percent, "Saturday", local)
    if clock >= rules.evening_from or clock < rules.morning_until:
        night = f"{rules.evening_from:%H:%M} to {rules.morning_until:%H:%M}"
        return Surcharge(
            Band.EVENING_NIGHT,
            rules.evening_night_saturday_percent,
            f"working day, {night}",
            local,
        )
    return Surcharge(Band.WORKING_DAY, 0, "working day, daytime", local)


def estimate(
    goods: Sequence[ManifestGoods], inspection: Inspection, tariff: Tariff
) -> FeeEstimate | NoEstimate:
    band = surcharge(inspection.start, tariff.surcharges)
    if band.local_start.date() < tariff.valid_from:
        return _refused(tariff, "tariff_not_valid", f"tariff valid from {tariff.valid_from}")
    match inspection.check:
        case Check.FULL:
            lines = _full_check(inspection, tariff)
        case Check.REDUCED:
            lines = _reduced_check(goods, inspection, tariff)
    if isinstance(lines, NoEstimate):
        return lines
    base = sum((line.amount for line in lines), Decimal(0))
    extra = to_cents(base * band.percent / 100)
    return FeeEstimate(
        check=inspection.check,
        lines=tuple(lines),
        base=base,
        surcharge=band,
        surcharge_amount=extra,
        total=base + extra,
        tariff_version=tariff.version,
    )


def _refused(tariff: Tariff, code: str, text: str) -> NoEstimate:
    return NoEstimate((Unestimable(code, text),), tariff.version)


def _full_check(inspection: Inspection, tariff: Tariff) -> list[FeeLine] | NoEstimate:
    if inspection.minutes is None:
        return _refused(tariff, "minutes_required", "a full check is charged per minute")
    full = tariff.full_check
    minutes = Decimal(inspection.minutes)
    return [
        _line(
            Basis.START_RATE, full.table, "start rate", Decimal(1), "inspection", full.start_rate
        ),
        _line(Basis.PER_MINUTE, full.table, "per minute", minutes, "minutes", full.per_minute),
    ]


def _line(
    basis: Basis, table: str, row: str, quantity: Decimal, unit: str, rate: Decimal
) -> FeeLine:
    computed = quantity * rate
    return FeeLine(
        basis, table, row, quantity, unit, rate, computed, to_cents(computed), None, None
    )


def _reduced_check(
    goods: Sequence[ManifestGoods], inspection: Inspection, tariff: Tariff
) -> list[FeeLine] | NoEstimate:
    if inspection.percentage is None:
        return _refused(tariff, "percentage_required", "a reduced check needs its percentage")
    if not goods:
        return _refused(tariff, "no_goods", "the hold has no goods to charge per ton or stem")
    # Goods under one table are one lot: its minimum and maximum apply once.
    lots: dict[str, tuple[ReducedTable, list[ManifestGoods]]] = {}
    reasons: list[Unestimable] = []
    for item in goods:
        if item.cn_code is None:
            reasons.append(Unestimable("no_cn_code", f"goods item {item.item} has no CN code"))
            continue
        table = tariff.reduced_table(item.cn_code, item.country_of_origin)
        if table is None:
            origin = item.country_of_origin or "unknown"
            reasons.append(
                Unestimable(
                    "no_reduced_check_tariff",
                    f"goods item {item.item} (CN {item.cn_code}, origin {origin}) is in no "
                    f"reduced-check table",
                )
            )
            continue
        lots.setdefault(table.table, (table, []))[1].append(item)
    lines: list[FeeLine] = []
    for table, items in lots.values():
        line = _lot(table, items, inspection.percentage, inspection.stems)
        if isinstance(line, Unestimable):
            reasons.append(line)
        else:
            lines.append(line)
    if reasons:
        return NoEstimate(tuple(reasons), tariff.version)
    return lines


def _lot(
    table: ReducedTable, items: list[ManifestGoods], percentage: int, stems: int | None
) -> FeeLine | Unestimable:
    row = table.row(percentage)
    if row is None:
        # Note 9 derives unlisted percentages "proportionally" without saying how: no guess.
        listed = ", ".join(str(r.percentage) for r in table.rows)
        return Unestimable(
            "percentage_not_in_table",
            f"table {table.table} lists {listed} %, not {percentage} %",
        )
    if table.basis is Basis.PER_TON:
        quantity = sum((i.gross_mass_kg for i in items), Decimal(0)) / _PER_TON
        unit, note = "t", "gross mass from the manifest"
    else:
        if stems is None:
            return Unestimable(
                "stems_required", f"table {table.table} is charged per 1,000 stems: give stems"
            )
        quantity, unit, note = Decimal(stems) / _PER_STEMS, "1000 stems", None
    computed = quantity * row.rate
    amount, limit = computed, None
    if amount < row.minimum:
        amount, limit = row.minimum, "minimum"
    elif row.maximum is not None and amount > row.maximum:
        amount, limit = row.maximum, "maximum"
    return FeeLine(
        basis=table.basis,
        table=table.table,
        row=f"{row.percentage} %",
        quantity=quantity,
        unit=unit,
        rate=row.rate,
        computed=computed,
        amount=to_cents(amount),
        limit=limit,
        note=note,
    )
