"""Reference data the validation runs against: CN codes per CHED type, and the Dutch BCPs.

Pure: the CN table comes in as CSV text (the shipped, versioned file is in
`pnm.prenotification.data` and is read by `adapters.reference_files`). An analyst may change
it; every record is validated against one `version`.

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

BCP table: the project's one table of border control posts (`pnm.shared.bcp`), the same the
    matcher decides with (docs/border-control-posts.md).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pnm.shared.bcp.table import BcpTable
from pnm.shared.contracts.records import ChedType

Coverage = Literal["all", "ex"]

CN_COLUMNS = ("ched_type", "cn_prefix", "description", "legal_source")
_CN_PREFIX = re.compile(r"[0-9]{2,10}", re.ASCII)


class ReferenceDataError(ValueError):
    """A reference table is malformed; the message names the table, the line and the problem."""


@dataclass(frozen=True)
class ReferenceData:
    version: str
    cn_by_ched: Mapping[ChedType, frozenset[str]]
    bcps: BcpTable
    # Optional (not needed to construct one by hand): descriptions for messages, and the "ex"
    # prefixes that cover only part of their heading.
    descriptions: Mapping[tuple[ChedType, str], str] = field(default_factory=dict)
    partial: Mapping[ChedType, frozenset[str]] = field(default_factory=dict)

    def description(self, ched_type: ChedType, prefix: str) -> str | None:
        return self.descriptions.get((ched_type, prefix))

    def is_partial(self, ched_type: ChedType, prefix: str) -> bool:
        return prefix in self.partial.get(ched_type, frozenset())


def parse_reference_data(version: str, cn_csv: str, bcps: BcpTable) -> ReferenceData:
    cn_by_ched, descriptions, partial = _parse_cn(cn_csv)
    return ReferenceData(
        version=version,
        cn_by_ched=cn_by_ched,
        bcps=bcps,
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
