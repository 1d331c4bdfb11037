"""The shape of an inspection tariff (docs/fees.md) and the rules a tariff file must keep.
The figures themselves are data (`pnm/holds/data/kcb_tariffs_*.json`); this module only
says what a valid tariff is and finds the table that applies to a CN code. Pure."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

# Euro amounts as the tariff prints them: whole cents, never negative.
Money = Annotated[Decimal, Field(ge=0, max_digits=9, decimal_places=2, allow_inf_nan=False)]
Percent = Annotated[int, Field(ge=0, le=1000)]
CnPrefix = Annotated[str, StringConstraints(pattern=r"^[0-9]{2,10}$")]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Label = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class Basis(StrEnum):
    """What a fee line counts."""

    START_RATE = "start_rate"
    PER_MINUTE = "per_minute"
    PER_TON = "per_ton"
    PER_1000_STEMS = "per_1000_stems"


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FullCheck(_Part):
    """A 100 % physical inspection: a start rate plus a rate per minute."""

    table: Label
    start_rate: Money
    per_minute: Money


class Surcharges(_Part):
    """Working days from `evening_from` until `morning_until` and Saturdays cost
    `evening_night_saturday_percent` more; Sundays and public holidays
    `sunday_holiday_percent` more (Europe/Amsterdam local time)."""

    evening_night_saturday_percent: Percent
    sunday_holiday_percent: Percent
    evening_from: time
    morning_until: time

    @model_validator(mode="after")
    def _night_spans_midnight(self) -> Self:
        if not self.morning_until < self.evening_from:
            raise ValueError("morning_until must be earlier in the day than evening_from")
        return self


class ReducedRow(_Part):
    """One inspection percentage of a reduced-check table."""

    percentage: Annotated[int, Field(ge=1, le=99)]
    rate: Money
    minimum: Money
    maximum: Money | None

    @model_validator(mode="after")
    def _minimum_below_maximum(self) -> Self:
        if self.maximum is not None and self.maximum < self.minimum:
            raise ValueError(f"row {self.percentage} %: maximum is below minimum")
        return self


class ReducedTable(_Part):
    """The reduced-check fee of the goods whose CN code starts with one of `cn_prefixes`
    (and, when `origins` is set, that come from one of them), per ton or per 1,000 stems."""

    table: Label
    name: Label
    basis: Literal[Basis.PER_TON, Basis.PER_1000_STEMS]
    cn_prefixes: list[CnPrefix] = Field(min_length=1)
    origins: list[Country] | None
    rows: list[ReducedRow] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_row_per_percentage(self) -> Self:
        percentages = [r.percentage for r in self.rows]
        if len(set(percentages)) != len(percentages):
            raise ValueError(f"table {self.table}: a percentage appears twice")
        return self

    def row(self, percentage: int) -> ReducedRow | None:
        return next((r for r in self.rows if r.percentage == percentage), None)

    def match(self, cn_code: str, origin: str | None) -> int:
        """Length of the longest prefix of `cn_code` this table covers (0: none)."""
        if self.origins is not None and origin not in self.origins:
            return 0
        return max((len(p) for p in self.cn_prefixes if cn_code.startswith(p)), default=0)


class Tariff(_Part):
    version: Label
    source: Label
    valid_from: date
    full_check: FullCheck
    surcharges: Surcharges
    reduced_checks: list[ReducedTable] = Field(min_length=1)

    @model_validator(mode="after")
    def _unambiguous_tables(self) -> Self:
        tables = [t.table for t in self.reduced_checks]
        if len(set(tables)) != len(tables):
            raise ValueError("a reduced-check table appears twice")
        # The same prefix in two tables would make the table of a CN code a matter of order.
        seen: dict[str, str] = {}
        for t in self.reduced_checks:
            for prefix in t.cn_prefixes:
                if prefix in seen:
                    raise ValueError(
                        f"CN prefix {prefix} is in tables {seen[prefix]} and {t.table}"
                    )
                seen[prefix] = t.table
        return self

    def reduced_table(self, cn_code: str, origin: str | None) -> ReducedTable | None:
        """The table of the longest CN prefix that covers the goods, if any."""
        best = max(self.reduced_checks, key=lambda t: t.match(cn_code, origin))
        return best if best.match(cn_code, origin) > 0 else None
