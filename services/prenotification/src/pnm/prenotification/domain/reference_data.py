"""Reference data the validation runs against: CN codes per CHED type, and the Dutch BCPs.

Pure: the tables come in as CSV text (the shipped, versioned files are in
`pnm.prenotification.data` and are read by `adapters.reference_files`). An analyst may change
them; every record is validated against one `version`.

CN table (`ched_cn_v1.csv`: `ched_type,cn_prefix,description,legal_source[,coverage]`)
    CHED-PP rows come from Annex XI of Reg. (EU) 2019/2072 (plants, plant products, other
    objects), CHED-P and CHED-A rows from Impl. Reg. (EU) 2021/632 (animals and products of
    animal origin). A prefix of 2 to 10 digits matches every CN code that starts with it.
    Headings whose CHED type depends on the intended use are listed under both types: live fish
    0301 (CHED-A as aquatic animals, CHED-P for human consumption), crustaceans 0306 and molluscs
    0307 (CHED-A if live for aquaculture or ornamental use), eggs 0407 (hatching eggs: CHED-A) and
    0511 (germinal products: CHED-A). CHED-D (food and feed of non-animal origin) has no rows: it
    means "any CN code not of animal origin"; if an analyst adds CHED-D rows, a CHED-D code must
    also match one of them. The optional `coverage` column (`all`, default, or `ex`) marks "ex"
    entries, where only part of the heading is covered (e.g. 1905 bakery wares only if they
    contain products of animal origin): a CHED-D for such a code is flagged, not refused. The
    source's "ex 29xx" (chemicals derived from animal by-products, e.g. glycerol 2905 45) is
    listed as chapter prefix `29`, `ex`.

BCP table (`bcps_v1.csv`:
`code,name,kind,aliases,ched_pp,ched_p,ched_a,ched_d,derogation_hours,wood_working_days`)
    `code` is the UN/LOCODE the pre-notifications use; `aliases` (space-separated) are other
    spellings that mean the same BCP, such as the TRACES BCP code (LOCODE + `1` for a port, `4`
    for an airport: an inference of the source, not confirmed). Designations are `yes`, `no` or
    `unknown` (`?` in the source table is read as `unknown`). Configuration choices in v1:

    - Schiphol has code NLSPL with alias NLAMS4. The source says Schiphol uses the city LOCODE
      NLAMS, but NLAMS is also the port of Amsterdam, which keeps NLAMS (alias NLAMS1).
    - `derogation_hours` = 4 for the airports Schiphol (NLSPL) and Maastricht (NLMST) only:
      Impl. Reg. (EU) 2019/1013 Art. 1(2) lets a BCP accept 4 hours where logistical constraints
      prevent one working day; the source does not say which Dutch BCPs do, so we assume the
      airports, where cargo is booked hours rather than days ahead.
    - `wood_working_days` = 5 for Rotterdam (NLRTM) only: 2019/1013 Art. 1(3) lets BCPs
      designated for roundwood, sawn wood and wood chips require up to 5 working days.
    Empty means "none".
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, cast

from pnm.shared.contracts.records import ChedType

Designation = Literal["yes", "no", "unknown"]
BcpKind = Literal["port", "airport"]
Coverage = Literal["all", "ex"]

CN_COLUMNS = ("ched_type", "cn_prefix", "description", "legal_source")
BCP_COLUMNS = (
    "code",
    "name",
    "kind",
    "aliases",
    "ched_pp",
    "ched_p",
    "ched_a",
    "ched_d",
    "derogation_hours",
    "wood_working_days",
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
_CN_PREFIX = re.compile(r"[0-9]{2,10}", re.ASCII)
_CODE = re.compile(r"[A-Z0-9]{2,12}", re.ASCII)


class ReferenceDataError(ValueError):
    """A reference table is malformed; the message names the table, the line and the problem."""


@dataclass(frozen=True)
class Bcp:
    code: str
    name: str
    kind: BcpKind
    aliases: frozenset[str]
    designations: Mapping[ChedType, Designation]
    derogation_hours: int | None
    wood_working_days: int | None

    def designation(self, ched_type: ChedType) -> Designation:
        return self.designations.get(ched_type, "unknown")

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


@dataclass(frozen=True)
class ReferenceData:
    version: str
    cn_by_ched: Mapping[ChedType, frozenset[str]]
    bcps: Mapping[str, Bcp]
    # Optional (not needed to construct one by hand): descriptions for messages, and the "ex"
    # prefixes that cover only part of their heading.
    descriptions: Mapping[tuple[ChedType, str], str] = field(default_factory=dict)
    partial: Mapping[ChedType, frozenset[str]] = field(default_factory=dict)
    _index: Mapping[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, str] = {}
        for code, bcp in self.bcps.items():
            for name in (code, bcp.code, *bcp.aliases):
                index.setdefault(name.upper(), code)
        object.__setattr__(self, "_index", index)

    def bcp(self, code: str) -> Bcp | None:
        """The BCP with this code or alias, case-insensitive."""
        key = self._index.get(code.strip().upper())
        return None if key is None else self.bcps[key]

    def description(self, ched_type: ChedType, prefix: str) -> str | None:
        return self.descriptions.get((ched_type, prefix))

    def is_partial(self, ched_type: ChedType, prefix: str) -> bool:
        return prefix in self.partial.get(ched_type, frozenset())


def parse_reference_data(version: str, cn_csv: str, bcp_csv: str) -> ReferenceData:
    cn_by_ched, descriptions, partial = _parse_cn(cn_csv)
    return ReferenceData(
        version=version,
        cn_by_ched=cn_by_ched,
        bcps=_parse_bcps(bcp_csv),
        descriptions=descriptions,
        partial=partial,
    )


def _rows(table: str, text: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames
    if not header:
        raise ReferenceDataError(f"{table}: empty, expected a header {','.join(required)}")
    missing = [c for c in required if c not in header]
    if missing:
        raise ReferenceDataError(f"{table}: missing column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        if None in row:
            raise ReferenceDataError(f"{table} line {reader.line_num}: more fields than columns")
        if any(value is None for value in row.values()):
            raise ReferenceDataError(f"{table} line {reader.line_num}: fewer fields than columns")
        rows.append((reader.line_num, {k: v.strip() for k, v in row.items()}))
    if not rows:
        raise ReferenceDataError(f"{table}: no rows")
    return rows


def _parse_cn(
    text: str,
) -> tuple[
    dict[ChedType, frozenset[str]],
    dict[tuple[ChedType, str], str],
    dict[ChedType, frozenset[str]],
]:
    table = "CN table"
    prefixes: dict[ChedType, set[str]] = {}
    partial: dict[ChedType, set[str]] = {}
    descriptions: dict[tuple[ChedType, str], str] = {}
    for line, row in _rows(table, text, CN_COLUMNS):
        where = f"{table} line {line}"
        try:
            ched_type = ChedType(row["ched_type"])
        except ValueError:
            allowed = ", ".join(t.value for t in ChedType)
            raise ReferenceDataError(
                f"{where}: ched_type {row['ched_type']!r} is not one of {allowed}"
            ) from None
        prefix = row["cn_prefix"]
        if not _CN_PREFIX.fullmatch(prefix):
            raise ReferenceDataError(
                f"{where}: cn_prefix {prefix!r} must be 2 to 10 digits without spaces"
            )
        coverage = row.get("coverage") or "all"
        if coverage not in ("all", "ex"):
            raise ReferenceDataError(f"{where}: coverage {coverage!r} must be 'all' or 'ex'")
        if prefix in prefixes.get(ched_type, set()):
            raise ReferenceDataError(f"{where}: {ched_type.value} {prefix} is listed twice")
        prefixes.setdefault(ched_type, set()).add(prefix)
        if coverage == "ex":
            partial.setdefault(ched_type, set()).add(prefix)
        if row["description"]:
            descriptions[ched_type, prefix] = row["description"]
    return (
        {t: frozenset(p) for t, p in prefixes.items()},
        descriptions,
        {t: frozenset(p) for t, p in partial.items()},
    )


def _parse_bcps(text: str) -> dict[str, Bcp]:
    table = "BCP table"
    bcps: dict[str, Bcp] = {}
    seen: dict[str, str] = {}  # code or alias -> code of the BCP it names
    for line, row in _rows(table, text, BCP_COLUMNS):
        where = f"{table} line {line}"
        code = row["code"].upper()
        if not _CODE.fullmatch(code):
            raise ReferenceDataError(f"{where}: code {row['code']!r} must be letters and digits")
        if not row["name"]:
            raise ReferenceDataError(f"{where}: BCP {code} has no name")
        kind = row["kind"]
        if kind not in ("port", "airport"):
            raise ReferenceDataError(f"{where}: kind {kind!r} must be 'port' or 'airport'")
        aliases = frozenset(a.upper() for a in row["aliases"].split())
        for name in sorted(aliases | {code}):
            if not _CODE.fullmatch(name):
                raise ReferenceDataError(f"{where}: alias {name!r} must be letters and digits")
            if name in seen:
                raise ReferenceDataError(
                    f"{where}: {name} already names BCP {seen[name]}; codes and aliases must "
                    f"be unique"
                )
            seen[name] = code
        designations: dict[ChedType, Designation] = {}
        for column, ched_type in DESIGNATION_COLUMNS.items():
            value = row[column].lower()
            if value not in _DESIGNATIONS:
                raise ReferenceDataError(
                    f"{where}: {column} {row[column]!r} must be yes, no, unknown or ?"
                )
            designations[ched_type] = _DESIGNATIONS[value]
        bcps[code] = Bcp(
            code=code,
            name=row["name"],
            kind=cast(BcpKind, kind),
            aliases=aliases - {code},
            designations=designations,
            derogation_hours=_optional_int(where, "derogation_hours", row["derogation_hours"]),
            wood_working_days=_optional_int(where, "wood_working_days", row["wood_working_days"]),
        )
    return bcps


def _optional_int(where: str, column: str, value: str) -> int | None:
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or int(value) < 1:
        raise ReferenceDataError(f"{where}: {column} {value!r} must be a positive whole number")
    return int(value)
