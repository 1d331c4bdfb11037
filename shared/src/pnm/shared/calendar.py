"""The Dutch working-day calendar that lead times count in (docs/sources.md, "Lead times
(seed 004 §5.1)": "tenminste één werkdag vóór de verwachte aankomst").

Working days are Monday to Friday except Dutch public holidays as the `holidays` package has
them (`holidays.NL`, which counts Good Friday, and Liberation Day only in lustrum years). For
2000 to 2100 they are read from a table written from that package (`data/nl_public_holidays.csv`,
checked against it by tests/unit/shared/test_calendar_table.py): importing the package takes longer
than a replay may take to start. Other years ask the package itself.
Moving back N working days keeps the local Europe/Amsterdam clock time: an arrival on Monday
07:00 needs the notice by Friday 07:00.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HOLIDAY_TABLE = Path(__file__).parent / "data" / "nl_public_holidays.csv"
TABLE_YEARS = range(2000, 2101)


@cache
def _tabled() -> dict[date, str]:
    with HOLIDAY_TABLE.open(newline="") as table:
        return {date.fromisoformat(day): name for day, name in csv.reader(table)}


@cache
def _from_the_package() -> Mapping[date, str]:
    import holidays

    return holidays.country_holidays("NL")


def public_holiday(day: date) -> str | None:
    """The name of the Dutch public holiday on `day` (as `holidays.NL` has it), else None."""
    if day.year in TABLE_YEARS:
        return _tabled().get(day)
    return _from_the_package().get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and public_holiday(day) is None


@lru_cache(maxsize=4096)  # the lines of one vessel call share their ETA
def working_days_before(moment: datetime, days: int) -> datetime:
    """`moment` moved back `days` Dutch working days, at the same Amsterdam clock time."""
    local = moment.astimezone(AMSTERDAM)
    day = local.date()
    for _ in range(days):
        day -= timedelta(days=1)
        while not is_working_day(day):
            day -= timedelta(days=1)
    wall = datetime.combine(day, local.time(), tzinfo=AMSTERDAM)
    # Normalise a wall time that does not exist or is ambiguous (a DST change; never on a
    # working day in the Netherlands, where clocks change on Sundays, but cheap to be sure).
    return wall.astimezone(UTC).astimezone(AMSTERDAM)


def hours_before(moment: datetime, hours: int) -> datetime:
    """`moment` minus elapsed hours (in UTC: zoneinfo arithmetic would be wall-clock)."""
    return (moment.astimezone(UTC) - timedelta(hours=hours)).astimezone(AMSTERDAM)
