"""The Dutch border control posts (BCPs): one table for every service
(docs/border-control-posts.md).

A BCP is a place of entry for one transport mode: UN/LOCODE plus mode. Amsterdam is two BCPs,
the seaport and Schiphol airport, both under the city LOCODE NLAMS. Each has its TRACES BCP code
(the LOCODE and a digit: 1 port, 4 airport), the identity used in messages, and aliases (another
LOCODE, an IATA code). Per CHED type a designation (yes, no, unknown) and the lead-time
derogations of Impl. Reg. (EU) 2019/1013 Art. 1.

Pure: the table comes in as CSV text with its version (the shipped, versioned file is read by
`pnm.shared.bcp.shipped`).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pnm.shared.contracts.records import ChedType, Mode

Designation = Literal["yes", "no", "unknown"]

COLUMNS = (
    "traces_code",
    "locode",
    "mode",
    "name",
    "aliases",
    "ched_pp",
    "ched_p",
    "ched_a",
    "ched_d",
    "derogation_hours",
    "wood_working_days",
    "note",
)
DESIGNATION_COLUMNS = {
    "ched_pp": ChedType.CHED_PP,
    "ched_p": ChedType.CHED_P,
    "ched_a": ChedType.CHED_A,
    "ched_d": ChedType.CHED_D,
}
_DESIGNATIONS: Mapping[str, Designation] = {
    "yes": "yes",
    "no": "no",
    "unknown": "unknown",
    "?": "unknown",
}
KIND = {Mode.SEA: "port", Mode.AIR: "airport", Mode.ROAD: "road", Mode.RAIL: "rail"}
_LOCODE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}", re.ASCII)
_TRACES_CODE = re.compile(r"[A-Z]{2}[A-Z0-9]{3}[0-9]", re.ASCII)
_NAME = re.compile(r"[A-Z0-9]{2,12}", re.ASCII)


class BcpTableError(ValueError):
    """The BCP table is malformed; the message names the table, the line and the problem."""


@dataclass(frozen=True)
class Bcp:
    code: str  # the TRACES BCP code
    locode: str
    mode: Mode
    name: str
    aliases: frozenset[str]
    designations: Mapping[ChedType, Designation]
    derogation_hours: int | None
    wood_working_days: int | None
    note: str = ""

    def designation(self, ched_type: ChedType) -> Designation:
        return self.designations.get(ched_type, "unknown")

    @property
    def kind(self) -> str:
        return KIND[self.mode]

    @property
    def names(self) -> frozenset[str]:
        """Every code that names this BCP: its TRACES code, its LOCODE and its aliases."""
        return self.aliases | {self.code, self.locode}

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class BcpTable:
    version: str
    bcps: tuple[Bcp, ...]
    _index: Mapping[str, tuple[Bcp, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, list[Bcp]] = {}
        for bcp in self.bcps:
            for name in sorted(bcp.names):
                index.setdefault(name, []).append(bcp)
        object.__setattr__(self, "_index", {name: tuple(b) for name, b in index.items()})

    def resolve(self, code: str | None, mode: Mode | None = None) -> Bcp | None:
        """The BCP that `code` (a TRACES code, LOCODE or alias, any case) names for `mode`;
        without a mode, the first the table lists under that code (a city LOCODE shared by a
        port and an airport means the port, as the table lists it first). None when no BCP of
        that mode has the code: a flight landing at NLRTM does not enter at the seaport."""
        return next((b for b in self._called(code) if mode is None or b.mode is mode), None)

    def candidates(self, code: str | None, mode: Mode | None) -> tuple[Bcp, ...]:
        """The BCPs a pre-notification's `bcp` and `mode` may mean: those of that mode the code
        names, else every one it names (without a mode, or when its mode is that of another
        leg: the code is what the party chose)."""
        called = self._called(code)
        return tuple(b for b in called if b.mode is mode) or called

    def named(self, code: str | None, mode: Mode | None) -> Bcp | None:
        """The BCP a pre-notification names: the first of its `candidates`."""
        return next(iter(self.candidates(code, mode)), None)

    def _called(self, code: str | None) -> tuple[Bcp, ...]:
        return self._index.get(code.strip().upper(), ()) if code else ()

    def designated(self, ched_type: ChedType) -> list[Bcp]:
        return [b for b in self.bcps if b.designation(ched_type) == "yes"]


def parse_bcp_table(version: str, text: str) -> BcpTable:
    table = f"BCP table {version}"
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames
    if not header:
        raise BcpTableError(f"{table}: empty, expected a header {','.join(COLUMNS)}")
    if missing := [c for c in COLUMNS if c not in header]:
        raise BcpTableError(f"{table}: missing column(s) {', '.join(missing)}")
    bcps: list[Bcp] = []
    for row in reader:
        where = f"{table} line {reader.line_num}"
        if None in row or any(value is None for value in row.values()):
            raise BcpTableError(f"{where}: {len(header)} fields expected")
        bcp = _bcp(where, {k: v.strip() for k, v in row.items()})
        _check_unique(where, bcp, bcps)
        bcps.append(bcp)
    if not bcps:
        raise BcpTableError(f"{table}: no rows")
    return BcpTable(version, tuple(bcps))


def _bcp(where: str, row: dict[str, str]) -> Bcp:
    code, locode = row["traces_code"].upper(), row["locode"].upper()
    if not _LOCODE.fullmatch(locode):
        raise BcpTableError(f"{where}: locode {row['locode']!r} must be a UN/LOCODE (NLRTM)")
    if not _TRACES_CODE.fullmatch(code) or not code.startswith(locode):
        raise BcpTableError(
            f"{where}: traces_code {row['traces_code']!r} must be the LOCODE {locode} and a digit"
        )
    try:
        mode = Mode(row["mode"].lower())
    except ValueError:
        allowed = ", ".join(m.value for m in Mode)
        raise BcpTableError(f"{where}: mode {row['mode']!r} must be one of {allowed}") from None
    if not row["name"]:
        raise BcpTableError(f"{where}: BCP {code} has no name")
    aliases = frozenset(a.upper() for a in row["aliases"].split())
    for alias in sorted(aliases):
        if not _NAME.fullmatch(alias):
            raise BcpTableError(f"{where}: alias {alias!r} must be letters and digits")
    designations: dict[ChedType, Designation] = {}
    for column, ched_type in DESIGNATION_COLUMNS.items():
        value = row[column].lower()
        if value not in _DESIGNATIONS:
            raise BcpTableError(f"{where}: {column} {row[column]!r} must be yes, no, unknown or ?")
        designations[ched_type] = _DESIGNATIONS[value]
    return Bcp(
        code=code,
        locode=locode,
        mode=mode,
        name=row["name"],
        aliases=aliases - {code, locode},
        designations=designations,
        derogation_hours=_optional_int(where, "derogation_hours", row["derogation_hours"]),
        wood_working_days=_optional_int(where, "wood_working_days", row["wood_working_days"]),
        note=row["note"],
    )


def _check_unique(where: str, bcp: Bcp, before: list[Bcp]) -> None:
    """A code may name one BCP per mode (NLAMS: the port and the airport), no more."""
    for other in before:
        if other.code == bcp.code:
            raise BcpTableError(f"{where}: traces_code {bcp.code} is listed twice")
        if other.mode is bcp.mode and (shared := sorted(other.names & bcp.names)):
            raise BcpTableError(
                f"{where}: {', '.join(shared)} already names {other.label} for mode "
                f"{bcp.mode.value}; a code names one BCP per mode"
            )


def _optional_int(where: str, column: str, value: str) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 24:
        raise BcpTableError(f"{where}: {column} {value!r} must be a whole number from 1 to 24")
    return int(value)
