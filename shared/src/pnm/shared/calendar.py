"""The Dutch working-day calendar that lead times count in (seed 004 §5.1: "tenminste één
werkdag vóór de verwachte aankomst").

Working days are Monday to Friday except Dutch public holidays as the `holidays` package has
them (`holidays.NL`, which counts Good Friday, and Liberation Day only in lustrum years).
Moving back N working days keeps the local Europe/Amsterdam clock time: an arrival on Monday
07:00 needs the notice by Friday 07:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
_NL_HOLIDAYS = holidays.country_holidays("NL")


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _NL_HOLIDAYS


def public_holiday(day: date) -> str | None:
    """The name of the Dutch public holiday on `day` (as `holidays.NL` has it), else None."""
    return _NL_HOLIDAYS.get(day)


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
