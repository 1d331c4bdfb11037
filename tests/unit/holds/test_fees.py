"""The inspection fee estimate of a phyto hold against the KCB 2024 tariff (docs/sources.md,
"KCB tariffs 2024 (seed 003)"; shipped as pnm/holds/data/kcb_tariffs_2024.json). Figures worked
out by hand in docs/fees.md."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnm.holds.adapters.tariffs import TARIFF_FILE, TariffFileError, current_tariff, parse_tariff
from pnm.holds.domain.fees import (
    Band,
    Check,
    FeeEstimate,
    Inspection,
    ManifestGoods,
    NoEstimate,
    estimate,
    surcharge,
)
from pnm.holds.domain.tariff import Basis
from pnm.shared.calendar import public_holiday

AMS = ZoneInfo("Europe/Amsterdam")
TARIFF = current_tariff()
RULES = TARIFF.surcharges


def at(
    year: int, month: int, day: int, hour: int, minute: int, second: int = 0, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=AMS)


def goods(cn: str | None, kg: str, item: int = 1, origin: str | None = "AR") -> ManifestGoods:
    return ManifestGoods(item, cn, "goods", Decimal(kg), origin)


def estimated(result: FeeEstimate | NoEstimate) -> FeeEstimate:
    assert isinstance(result, FeeEstimate), result
    return result


def refused(result: FeeEstimate | NoEstimate) -> list[str]:
    assert isinstance(result, NoEstimate), result
    return [r.code for r in result.reasons]


TUESDAY_NOON = at(2026, 12, 8, 12, 0)


# --- The worked examples of docs/fees.md -------------------------------------------------


def test_example_1_full_check_on_a_saturday_morning() -> None:
    fee = estimated(estimate([], Inspection(Check.FULL, at(2026, 12, 12, 9, 30), 45), TARIFF))
    assert [(line.basis, line.amount) for line in fee.lines] == [
        (Basis.START_RATE, Decimal("61.12")),
        (Basis.PER_MINUTE, Decimal("85.95")),
    ]
    assert fee.base == Decimal("147.07")
    assert (fee.surcharge.band, fee.surcharge.percent) == (Band.SATURDAY, 50)
    assert fee.surcharge_amount == Decimal("73.54")  # 73.535, half a cent up
    assert fee.total == Decimal("220.61")
    assert fee.tariff_version == "KCB-2024.1"


def test_example_2_reduced_check_of_citrus_on_a_weekday_evening_takes_the_minimum() -> None:
    fee = estimated(
        estimate(
            [goods("080510", "18000")],
            Inspection(Check.REDUCED, at(2026, 12, 8, 21, 15), percentage=10),
            TARIFF,
        )
    )
    [line] = fee.lines
    assert (line.table, line.row, line.quantity, line.rate) == (
        "1.3",
        "10 %",
        Decimal(18),
        Decimal("0.69"),
    )
    assert (line.computed, line.amount, line.limit) == (
        Decimal("12.42"),
        Decimal("17.25"),
        "minimum",
    )
    assert (fee.surcharge.band, fee.surcharge_amount, fee.total) == (
        Band.EVENING_NIGHT,
        Decimal("8.63"),
        Decimal("25.88"),
    )


def test_example_3_cut_flowers_on_kings_day_take_the_maximum_and_double() -> None:
    fee = estimated(
        estimate(
            [goods("06031100", "9000")],
            Inspection(Check.REDUCED, at(2026, 4, 27, 10, 0), percentage=25, stems=120_000),
            TARIFF,
        )
    )
    [line] = fee.lines
    assert (line.basis, line.table, line.quantity, line.computed) == (
        Basis.PER_1000_STEMS,
        "1.4",
        Decimal(120),
        Decimal("276.00"),
    )
    assert (line.amount, line.limit) == (Decimal("230.00"), "maximum")
    assert fee.surcharge.band is Band.PUBLIC_HOLIDAY
    assert "King's Day" in fee.surcharge.why
    assert fee.total == Decimal("460.00")


# --- Surcharge bands and their boundaries ------------------------------------------------


@pytest.mark.parametrize(
    ("start", "band", "percent"),
    [
        (at(2026, 12, 8, 12, 0), Band.WORKING_DAY, 0),
        (at(2026, 12, 8, 20, 0), Band.EVENING_NIGHT, 50),  # evening starts at 20:00 sharp
        (at(2026, 12, 8, 19, 59, 59, 999999), Band.WORKING_DAY, 0),
        (at(2026, 12, 9, 5, 59, 59), Band.EVENING_NIGHT, 50),
        (at(2026, 12, 9, 6, 0), Band.WORKING_DAY, 0),  # day starts at 06:00 sharp
        (at(2026, 12, 11, 23, 30), Band.EVENING_NIGHT, 50),  # Friday night
        (at(2026, 12, 12, 0, 0), Band.SATURDAY, 50),
        (at(2026, 12, 12, 14, 0), Band.SATURDAY, 50),
        (at(2026, 12, 13, 0, 0), Band.SUNDAY, 100),
        (at(2026, 12, 13, 23, 59, 59), Band.SUNDAY, 100),
        (at(2026, 12, 14, 0, 0), Band.EVENING_NIGHT, 50),  # Monday before 06:00
        (at(2026, 4, 27, 12, 0), Band.PUBLIC_HOLIDAY, 100),  # King's Day (a Monday)
        (at(2025, 4, 26, 12, 0), Band.PUBLIC_HOLIDAY, 100),  # King's Day on a Saturday
        (at(2026, 12, 25, 12, 0), Band.PUBLIC_HOLIDAY, 100),  # Christmas (a Friday)
        (at(2026, 12, 26, 3, 0), Band.PUBLIC_HOLIDAY, 100),  # Boxing Day, at night
        (at(2026, 12, 28, 3, 0), Band.EVENING_NIGHT, 50),  # the working day after
        (at(2026, 4, 5, 10, 0), Band.PUBLIC_HOLIDAY, 100),  # Easter Sunday: the holiday
    ],
)
def test_surcharge_bands(start: datetime, band: Band, percent: int) -> None:
    found = surcharge(start, RULES)
    assert (found.band, found.percent) == (band, percent)


def test_the_amsterdam_clock_decides_not_utc() -> None:
    # 19:00 UTC is 20:00 in winter (CET) and 21:00 in summer (CEST): both evening.
    assert surcharge(datetime(2026, 12, 8, 19, 0, tzinfo=UTC), RULES).band is Band.EVENING_NIGHT
    assert surcharge(datetime(2026, 6, 9, 17, 59, tzinfo=UTC), RULES).band is Band.WORKING_DAY
    assert surcharge(datetime(2026, 6, 9, 18, 0, tzinfo=UTC), RULES).band is Band.EVENING_NIGHT
    # Saturday 23:30 UTC is already Sunday in Amsterdam.
    assert surcharge(datetime(2026, 12, 12, 23, 30, tzinfo=UTC), RULES).band is Band.SUNDAY


def test_a_start_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        surcharge(datetime(2026, 12, 8, 12, 0), RULES)


# --- Bases and rounding --------------------------------------------------------------------


def test_a_full_check_on_a_working_day_is_start_rate_plus_minutes() -> None:
    fee = estimated(estimate([], Inspection(Check.FULL, TUESDAY_NOON, 60), TARIFF))
    assert (fee.base, fee.surcharge_amount, fee.total) == (
        Decimal("175.72"),
        Decimal("0.00"),
        Decimal("175.72"),
    )


def test_half_a_cent_of_surcharge_rounds_up_not_to_even() -> None:
    # 61.12 + 3 x 1.91 = 66.85; half of it is 33.425: 33.43 (banker's rounding would give 33.42).
    fee = estimated(estimate([], Inspection(Check.FULL, at(2026, 12, 12, 10, 0), 3), TARIFF))
    assert (fee.base, fee.surcharge_amount, fee.total) == (
        Decimal("66.85"),
        Decimal("33.43"),
        Decimal("100.28"),
    )


def test_a_lot_above_its_minimum_is_charged_per_ton_of_exact_mass_in_cents() -> None:
    # 31.337 t x 3.46 = 108.42602 → 108.43.
    fee = estimated(
        estimate(
            [goods("08061010", "31337")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=50),
            TARIFF,
        )
    )
    [line] = fee.lines
    assert (line.computed, line.amount, line.limit) == (
        Decimal("108.42602"),
        Decimal("108.43"),
        None,
    )
    assert fee.total == Decimal("108.43")


def test_goods_of_one_table_are_one_lot_and_each_table_its_own() -> None:
    fee = estimated(
        estimate(
            [goods("080510", "10000", 1), goods("080610", "5000", 2), goods("0603", "800", 3)],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=5, stems=30_000),
            TARIFF,
        )
    )
    by_table = {line.table: line for line in fee.lines}
    assert by_table["1.3"].quantity == Decimal(15)
    assert by_table["1.3"].amount == Decimal("8.75")  # 15 x 0.35 = 5.25, below the minimum
    assert by_table["1.4"].amount == Decimal("13.80")  # 30 x 0.46
    assert fee.total == Decimal("22.55")


def test_wood_packaging_from_china_is_charged_per_ton_within_its_limits() -> None:
    fee = estimated(
        estimate(
            [goods("68029100", "24000", origin="CN")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=15),
            TARIFF,
        )
    )
    [line] = fee.lines
    assert (line.table, line.amount) == ("1.5", Decimal("23.04"))  # 24 x 0.96


# --- When the goods do not allow an estimate -----------------------------------------------


@pytest.mark.parametrize(
    ("items", "inspection", "codes"),
    [
        ([], Inspection(Check.FULL, TUESDAY_NOON), ["minutes_required"]),
        ([goods("0805", "1000")], Inspection(Check.REDUCED, TUESDAY_NOON), ["percentage_required"]),
        ([], Inspection(Check.REDUCED, TUESDAY_NOON, percentage=10), ["no_goods"]),
        (
            [goods(None, "1000")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=10),
            ["no_cn_code"],
        ),
        (
            [goods("847130", "1000")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=10),
            ["no_reduced_check_tariff"],
        ),
        (  # wood packaging is only in the table from China, Belarus and India
            [goods("4401", "1000", origin="AR")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=15),
            ["no_reduced_check_tariff"],
        ),
        (  # note 9: an unlisted percentage is derived "proportionally"; we do not guess how
            [goods("0805", "1000")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=12),
            ["percentage_not_in_table"],
        ),
        (
            [goods("0603", "1000")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=10),
            ["stems_required"],
        ),
        (  # one item that cannot be estimated spoils the whole estimate, with every reason
            [goods("0805", "1000", 1), goods(None, "5", 2), goods("9403", "5", 3)],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=10),
            ["no_cn_code", "no_reduced_check_tariff"],
        ),
        ([], Inspection(Check.FULL, at(2023, 12, 31, 12, 0), 30), ["tariff_not_valid"]),
    ],
)
def test_what_cannot_be_estimated_says_why(
    items: list[ManifestGoods], inspection: Inspection, codes: list[str]
) -> None:
    assert refused(estimate(items, inspection, TARIFF)) == codes


# --- Properties ------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2024, 1, 1, 12), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


@settings(max_examples=300, deadline=None)
@given(start=starts, offset=offsets)
def test_the_band_depends_on_the_instant_not_on_how_it_is_written(
    start: datetime, offset: timezone
) -> None:
    here, there = surcharge(start, RULES), surcharge(start.astimezone(offset), RULES)
    assert (here.band, here.percent) == (there.band, there.percent)
    local = start.astimezone(AMS)
    day = local.date()
    if day.weekday() == 6 or public_holiday(day) is not None:
        assert here.percent == 100
    elif day.weekday() == 5 or not 6 <= local.hour < 20:
        assert here.percent == 50
    else:
        assert here.percent == 0


@settings(max_examples=300, deadline=None)
@given(start=starts, minutes=st.integers(min_value=0, max_value=24 * 60))
def test_a_full_check_is_start_rate_plus_minutes_plus_surcharge_to_the_cent(
    start: datetime, minutes: int
) -> None:
    fee = estimated(estimate([], Inspection(Check.FULL, start, minutes), TARIFF))
    assert fee.base == Decimal("61.12") + minutes * Decimal("1.91")
    exact = fee.base * fee.surcharge.percent / 100
    assert abs(fee.surcharge_amount - exact) <= Decimal("0.005")
    assert fee.total == fee.base + fee.surcharge_amount
    assert fee.total.as_tuple().exponent == -2


masses = st.decimals(min_value=0, max_value=10_000_000, places=3)


@settings(max_examples=300, deadline=None)
@given(
    light=masses,
    extra=masses,
    percentage=st.sampled_from([r.percentage for r in TARIFF.reduced_checks[0].rows]),
)
def test_a_reduced_check_lot_stays_within_its_limits_and_grows_with_mass(
    light: Decimal, extra: Decimal, percentage: int
) -> None:
    row = TARIFF.reduced_checks[0].row(percentage)
    assert row is not None

    def fee(kg: Decimal) -> Decimal:
        return estimated(
            estimate(
                [ManifestGoods(1, "0805", "citrus", kg, "ZA")],
                Inspection(Check.REDUCED, TUESDAY_NOON, percentage=percentage),
                TARIFF,
            )
        ).total

    assert row.minimum <= fee(light)
    assert fee(light) <= fee(light + extra)


@settings(max_examples=200, deadline=None)
@given(
    stems=st.integers(min_value=1, max_value=100_000_000),
    percentage=st.sampled_from([r.percentage for r in TARIFF.reduced_checks[1].rows]),
)
def test_a_cut_flower_lot_stays_between_its_minimum_and_maximum(
    stems: int, percentage: int
) -> None:
    row = TARIFF.reduced_checks[1].row(percentage)
    assert row is not None and row.maximum is not None
    fee = estimated(
        estimate(
            [ManifestGoods(1, "0603", "roses", Decimal(500), "KE")],
            Inspection(Check.REDUCED, TUESDAY_NOON, percentage=percentage, stems=stems),
            TARIFF,
        )
    )
    assert row.minimum <= fee.total <= row.maximum


cn_codes = st.one_of(
    st.none(),
    st.from_regex(r"^[0-9]{4,10}$", fullmatch=True),
    st.sampled_from(["0603", "060311", "080510", "0701", "4401", "6802", "8471"]),
)
any_goods = st.builds(
    ManifestGoods,
    item=st.integers(min_value=1, max_value=999),
    cn_code=cn_codes,
    description=st.just("goods"),
    gross_mass_kg=st.decimals(min_value=Decimal("0.001"), max_value=Decimal(10**9), places=3),
    country_of_origin=st.sampled_from([None, "CN", "IN", "BY", "AR", "KE"]),
)
any_inspection = st.builds(
    Inspection,
    check=st.sampled_from(Check),
    start=starts,
    minutes=st.none() | st.integers(min_value=1, max_value=24 * 60),
    percentage=st.none() | st.integers(min_value=1, max_value=99),
    stems=st.none() | st.integers(min_value=1, max_value=100_000_000),
)


@settings(max_examples=500, deadline=None)
@given(items=st.lists(any_goods, max_size=5), inspection=any_inspection)
def test_any_goods_get_an_estimate_that_adds_up_or_the_reasons(
    items: list[ManifestGoods], inspection: Inspection
) -> None:
    result = estimate(items, inspection, TARIFF)
    if isinstance(result, NoEstimate):
        assert result.reasons
        return
    amounts = [*(line.amount for line in result.lines), result.surcharge_amount, result.total]
    assert all(a.as_tuple().exponent == -2 and a >= 0 for a in amounts)
    assert result.base == sum(line.amount for line in result.lines)
    assert result.total == result.base + result.surcharge_amount


# --- The tariff file -------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    text = resources.files("pnm.holds.data").joinpath(TARIFF_FILE).read_text("utf-8")
    return dict(json.loads(text))


def test_the_shipped_tariff_is_the_2024_kcb_tariff() -> None:
    assert TARIFF.valid_from == date(2024, 1, 1)
    assert (TARIFF.full_check.start_rate, TARIFF.full_check.per_minute) == (
        Decimal("61.12"),
        Decimal("1.91"),
    )
    assert [t.table for t in TARIFF.reduced_checks] == ["1.3", "1.4", "1.5"]


@pytest.mark.parametrize(
    ("spoil", "names"),
    [
        (lambda d: d["full_check"].update(per_minute="1.915"), "full_check.per_minute"),
        (lambda d: d["full_check"].pop("start_rate"), "full_check.start_rate"),
        (lambda d: d["reduced_checks"][1]["rows"][0].update(maximum="0.10"), "maximum"),
        (lambda d: d["reduced_checks"][0]["cn_prefixes"].append("0603"), "0603"),
        (
            lambda d: d["reduced_checks"][0]["rows"].append(d["reduced_checks"][0]["rows"][0]),
            "twice",
        ),
        (lambda d: d["surcharges"].update(evening_from="05:00"), "morning_until"),
        (lambda d: d.update(unknown=1), "unknown"),
    ],
)
def test_a_malformed_tariff_file_is_refused_naming_what_is_wrong(spoil: Any, names: str) -> None:
    data = _shipped()
    spoil(data)
    with pytest.raises(TariffFileError, match="is malformed") as refusal:
        parse_tariff(json.dumps(data), "broken.json")
    assert names in str(refusal.value)
    assert "broken.json" in str(refusal.value)


def test_a_tariff_file_that_is_no_json_is_refused() -> None:
    with pytest.raises(TariffFileError, match=r"broken\.json is malformed"):
        parse_tariff("{not json", "broken.json")
