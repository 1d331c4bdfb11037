"""The table of Dutch public holidays the working-day calendar reads (pnm.shared.calendar) says
what the `holidays` package says, for every year it covers."""

from __future__ import annotations

import csv
import sys
from datetime import date

import holidays

from pnm.shared.calendar import HOLIDAY_TABLE, TABLE_YEARS, is_working_day, public_holiday


def from_the_package() -> list[tuple[str, str]]:
    nl = holidays.country_holidays("NL", years=TABLE_YEARS)
    return [(day.isoformat(), name) for day, name in sorted(nl.items())]


def test_the_table_is_the_packages_holidays() -> None:
    with HOLIDAY_TABLE.open(newline="") as table:
        assert [tuple(row) for row in csv.reader(table)] == from_the_package()


def test_inside_and_outside_the_table() -> None:
    assert public_holiday(date(2026, 4, 27)) == "King's Day"
    assert not is_working_day(date(2026, 4, 27))  # a Monday
    assert is_working_day(date(2026, 4, 28))
    # Outside the table's years the package answers.
    assert public_holiday(date(1999, 12, 25)) == "Christmas Day"
    assert public_holiday(date(1999, 12, 24)) is None


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("python tests/unit/shared/test_calendar_table.py --write: write the table")
    with HOLIDAY_TABLE.open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(from_the_package())
    print(f"{HOLIDAY_TABLE}: written")
