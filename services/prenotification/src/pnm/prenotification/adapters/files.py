"""Export files from Client Import and VGC: JSON Lines (one canonical record per line) or CSV
(one commodity per row; the rows of one reference and version make one record).

A row that cannot be read still becomes a submission, carrying its raw text, so that it is
refused with its row number and kept like any other bad input: a bad row never blocks the good
ones and is never lost."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pnm.shared.contracts.limits import PRENOTIFICATION_RECORDS_MAX
from pnm.shared.files import CsvRow, Row, csv_list, csv_party, read_export, read_grouped_csv

# Columns that are fields of the record as they are.
RECORD_FIELDS = (
    "reference",
    "system",
    "ched_type",
    "version",
    "status",
    "submitted_at",
    "bcp",
    "expected_arrival",
    "mode",
    "vessel_imo",
    "vessel_name",
    "flight_number",
    "transport_document",
    "country_of_origin",
)
CSV_COLUMNS = (
    *RECORD_FIELDS[:-1],
    "containers",  # separated by spaces or semicolons
    "consignor_name",
    "consignor_country",
    "consignor_eori",
    "importer_name",
    "importer_country",
    "importer_eori",
    "country_of_origin",
    "cn_code",
    "description",
    "net_mass_kg",
    "packages",
    "species",
    "control_regime",
    "inspection_point",
)
REQUIRED_CSV_COLUMNS = frozenset(CSV_COLUMNS) - {
    "mode",
    "vessel_imo",
    "vessel_name",
    "flight_number",
    "transport_document",
    "consignor_eori",
    "importer_eori",
    "packages",
    "species",
    "inspection_point",
}


def _commodity(row: CsvRow) -> dict[str, Any]:
    return {
        "cn_code": row.get("cn_code"),
        "description": row.get("description") or "",
        "net_mass_kg": row.get("net_mass_kg"),
        **({"packages": row["packages"]} if row.get("packages") else {}),
        **({"species": row["species"]} if row.get("species") else {}),
    }


def _record(row: CsvRow, commodities: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        **{name: row[name] for name in RECORD_FIELDS if row.get(name) is not None},
        "containers": csv_list(row.get("containers")),
        "consignor": csv_party(row, "consignor"),
        "importer": csv_party(row, "importer"),
        "commodities": commodities,
        "control": {
            "regime": row.get("control_regime"),
            **(
                {"inspection_point": row["inspection_point"]} if row.get("inspection_point") else {}
            ),
        },
    }


def parse_csv(text: str) -> Iterator[Row]:
    """One record per reference and version; one commodity per row."""
    return read_grouped_csv(
        text, REQUIRED_CSV_COLUMNS, ("reference", "version"), "commodities", _commodity, _record
    )


def parse_file(text: str, fmt: str) -> list[Row]:
    return read_export(text, fmt, parse_csv, PRENOTIFICATION_RECORDS_MAX)
