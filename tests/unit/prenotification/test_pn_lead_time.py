"""Lead time: one Dutch working day before the expected arrival, or the BCP's own rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pnm.prenotification.adapters.reference_files import shipped_reference_data
from pnm.prenotification.domain.lead_time import lead_time
from pnm.shared.bcp.table import Bcp
from pnm.shared.calendar import is_working_day, working_days_before
from pnm.shared.contracts.records import ChedType, Commodity, Mode, PreNotification
from pnm.testing.records import container, prenotification

AMS = ZoneInfo("Europe/Amsterdam")
DATA = shipped_reference_data()


def bcp(code: str) -> Bcp:
    found = DATA.bcps.resolve(code)
    assert found is not None
    return found


def notified(
    arrival: datetime,
    *,
    submitted: datetime | None = None,
    ched_type: ChedType = ChedType.CHED_P,
    cn: str = "020130",
    **update: Any,
) -> PreNotification:
    kind = ched_type.value.removeprefix("CHED-")
    record = prenotification(
        f"CHED{kind}.NL.2026.0000001",
        ched_type=ched_type,
        cn_code=cn,
        description="goods",
        containers=[container(1)],
        expected_arrival=arrival,
    )
    update["submitted_at"] = submitted or arrival - timedelta(days=3)
    return record.model_copy(update=update)


def ams(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def test_the_holiday_calendar_the_rules_rely_on() -> None:
    nl = holidays.country_holidays("NL")
    assert date(2026, 4, 3) in nl, "holidays.NL counts Good Friday"
    assert date(2026, 4, 6) in nl, "Easter Monday"
    assert date(2025, 12, 26) in nl, "Boxing Day"
    assert date(2026, 5, 5) not in nl, "Liberation Day only in lustrum years"
    assert date(2025, 5, 5) in nl


@pytest.mark.parametrize(
    ("arrival", "deadline"),
    [
        # Tuesday after Easter Monday 2026: Mon 6 April, Sun, Sat and Good Friday 3 April are
        # not working days, so the notice was due on Thursday 2 April.
        (ams(2026, 4, 7, 10, 0), ams(2026, 4, 2, 10, 0)),
        # Monday: the Friday before.
        (ams(2026, 11, 30, 7, 0), ams(2026, 11, 27, 7, 0)),
        # Boxing Day, Friday 26 December 2025: Christmas Day is no working day, so Wednesday.
        (ams(2025, 12, 26, 8, 0), ams(2025, 12, 24, 8, 0)),
        # Sunday 27 December 2026: Boxing Day is a Saturday, Christmas a Friday: Thursday 24th.
        (ams(2026, 12, 27, 12, 0), ams(2026, 12, 24, 12, 0)),
        # An ordinary Wednesday: Tuesday.
        (ams(2026, 12, 2, 9, 30), ams(2026, 12, 1, 9, 30)),
        # Saturday: Friday.
        (ams(2026, 12, 5, 9, 30), ams(2026, 12, 4, 9, 30)),
        # Tuesday after Pentecost Monday 2026 (25 May): Friday 22 May.
        (ams(2026, 5, 26, 6, 0), ams(2026, 5, 22, 6, 0)),
        # Friday after Ascension Day 2026 (Thursday 14 May): Wednesday 13 May.
        (ams(2026, 5, 15, 6, 0), ams(2026, 5, 13, 6, 0)),
    ],
)
def test_one_working_day(arrival: datetime, deadline: datetime) -> None:
    result = lead_time(notified(arrival), bcp("NLRTM"))
    assert result.rule == "one_working_day"
    assert (result.working_days, result.hours) == (1, None)
    assert result.deadline == deadline
    assert result.deadline.utcoffset() == deadline.utcoffset(), "same local clock time"


def test_the_deadline_keeps_the_amsterdam_clock_time_across_a_dst_change() -> None:
    # Clocks went forward on Sunday 29 March 2026: Monday 09:00 CEST needs Friday 09:00 CET.
    arrival = ams(2026, 3, 30, 9, 0)
    result = lead_time(notified(arrival), None)
    assert result.deadline == ams(2026, 3, 27, 9, 0)
    assert result.deadline.astimezone(UTC) == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    assert arrival.astimezone(UTC) - result.deadline.astimezone(UTC) == timedelta(hours=71)


def test_the_working_day_is_the_amsterdam_one_not_the_utc_one() -> None:
    # 23:30 UTC on Tuesday is 00:30 on Wednesday in Amsterdam: the deadline is Tuesday 00:30.
    arrival = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    result = lead_time(notified(arrival), None)
    assert result.deadline == ams(2026, 12, 1, 0, 30)
    assert result.deadline.tzinfo == AMS, "an aware datetime in Europe/Amsterdam"


def test_on_time_up_to_and_including_the_deadline() -> None:
    arrival = ams(2026, 11, 30, 7, 0)
    deadline = ams(2026, 11, 27, 7, 0)
    at_deadline = lead_time(notified(arrival, submitted=deadline.astimezone(UTC)), None)
    assert at_deadline.on_time
    late = lead_time(notified(arrival, submitted=deadline + timedelta(seconds=1)), None)
    assert not late.on_time
    assert late.deadline == deadline
    # Saturday or Sunday is too late for a Monday arrival.
    assert not lead_time(notified(arrival, submitted=ams(2026, 11, 28, 7, 0)), None).on_time


def test_four_hour_derogation_at_schiphol() -> None:
    arrival = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    result = lead_time(notified(arrival, submitted=arrival - timedelta(hours=4)), bcp("NLSPL"))
    assert result.rule == "derogation_hours"
    assert (result.working_days, result.hours) == (None, 4)
    assert result.deadline == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    assert result.on_time
    late = notified(arrival, submitted=arrival - timedelta(hours=3, minutes=59))
    assert not lead_time(late, bcp("NLSPL")).on_time


def test_four_hours_on_a_monday_at_maastricht_ignores_the_weekend() -> None:
    arrival = ams(2026, 11, 30, 7, 0)
    result = lead_time(notified(arrival, submitted=ams(2026, 11, 29, 12, 0)), bcp("NLMST"))
    assert result.rule == "derogation_hours"
    assert result.deadline == ams(2026, 11, 30, 3, 0)
    assert result.on_time


def test_the_derogation_counts_elapsed_hours_across_a_dst_change() -> None:
    # Sunday 29 March 2026 05:00 CEST is 03:00 UTC; four hours earlier is 23:00 UTC, which is
    # 00:00 CET (wall-clock arithmetic would wrongly give 01:00).
    arrival = ams(2026, 3, 29, 5, 0)
    result = lead_time(notified(arrival, submitted=ams(2026, 3, 29, 0, 30)), bcp("NLSPL"))
    assert result.deadline.astimezone(UTC) == datetime(2026, 3, 28, 23, 0, tzinfo=UTC)
    assert result.deadline == ams(2026, 3, 29, 0, 0)
    assert not result.on_time, "00:30 CET is 23:30 UTC, after the deadline"


def test_rotterdam_has_no_derogation() -> None:
    arrival = ams(2026, 12, 2, 9, 0)
    result = lead_time(notified(arrival, submitted=arrival - timedelta(hours=4)), bcp("NLRTM"))
    assert result.rule == "one_working_day"
    assert not result.on_time


def test_five_working_days_for_wood_at_rotterdam() -> None:
    arrival = ams(2026, 12, 7, 8, 0)  # a Monday
    record = notified(arrival, ched_type=ChedType.CHED_PP, cn="44071190")
    result = lead_time(record, bcp("NLRTM"))
    assert result.rule == "wood_working_days"
    assert (result.working_days, result.hours) == (5, None)
    assert result.deadline == ams(2026, 11, 30, 8, 0)
    assert not result.on_time, "submitted three days ahead: too late for wood"
    early = record.model_copy(update={"submitted_at": ams(2026, 11, 30, 8, 0)})
    assert lead_time(early, bcp("NLRTM")).on_time


def test_five_working_days_for_wood_over_easter() -> None:
    # Thursday 9 April 2026: Wed 8, Tue 7, (Easter Monday), Thu 2 (Good Friday), Wed 1, Tue 31.
    record = notified(ams(2026, 4, 9, 8, 0), ched_type=ChedType.CHED_PP, cn="4401")
    assert lead_time(record, bcp("NLRTM")).deadline == ams(2026, 3, 31, 8, 0)


def test_any_wood_commodity_makes_the_consignment_wood() -> None:
    record = notified(ams(2026, 12, 7, 8, 0), ched_type=ChedType.CHED_PP, cn="08061010")
    assert lead_time(record, bcp("NLRTM")).rule == "one_working_day"
    wood = Commodity(cn_code="4403", description="Logs", net_mass_kg=20_000.0)
    mixed = record.model_copy(update={"commodities": [*record.commodities, wood]})
    assert lead_time(mixed, bcp("NLRTM")).rule == "wood_working_days"


def test_the_wood_rule_is_for_ched_pp_only() -> None:
    record = notified(ams(2026, 12, 7, 8, 0), ched_type=ChedType.CHED_P, cn="4401")
    assert lead_time(record, bcp("NLRTM")).rule == "one_working_day"


def test_the_wood_rule_takes_precedence_over_the_derogation() -> None:
    both = Bcp(
        code="NLXYZ1",
        locode="NLXYZ",
        mode=Mode.SEA,
        name="Both",
        aliases=frozenset(),
        designations={},
        derogation_hours=4,
        wood_working_days=3,
    )
    arrival = ams(2026, 12, 7, 8, 0)
    wood = notified(arrival, ched_type=ChedType.CHED_PP, cn="4407")
    assert lead_time(wood, both).rule == "wood_working_days"
    assert lead_time(wood, both).deadline == ams(2026, 12, 2, 8, 0)
    grapes = notified(arrival, ched_type=ChedType.CHED_PP, cn="0806")
    assert lead_time(grapes, both).rule == "derogation_hours"
    # Wood at Schiphol, which has a derogation but no wood rule: the derogation.
    assert lead_time(wood, bcp("NLSPL")).rule == "derogation_hours"


def test_an_unknown_bcp_gets_the_default_rule() -> None:
    result = lead_time(notified(ams(2026, 12, 2, 9, 0)), None)
    assert result.rule == "one_working_day"


@settings(max_examples=300)
@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)),
    st.integers(1, 6),
)
def test_moving_back_working_days(naive: datetime, days: int) -> None:
    arrival = naive.replace(tzinfo=UTC)
    deadline = working_days_before(arrival, days)
    local = arrival.astimezone(AMS)
    assert deadline.tzinfo == AMS
    assert deadline < arrival
    assert is_working_day(deadline.date())
    assert deadline.time() == local.time(), "same Amsterdam clock time"
    between = [
        deadline.date() + timedelta(days=n) for n in range(1, (local.date() - deadline.date()).days)
    ]
    assert sum(is_working_day(d) for d in between) == days - 1
